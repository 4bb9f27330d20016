import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterNode, members, startCluster, waitFor } from "./cluster-harness.js";
import { NodeProcess, removeDir, tempDir } from "./harness.js";

// Five plz-cache-node processes gossiping on loopback with default membership timings.
const SECRET = ["--cluster_secret", "five-node-secret"];
let nodes: ClusterNode[];
let stranger: NodeProcess | undefined;

beforeAll(async () => {
  nodes = await startCluster("mb", 5, SECRET);
}, 90_000);
afterAll(async () => {
  for (const n of nodes) {
    await n.node.stop();
    removeDir(n.node.dir);
  }
  if (stranger) {
    await stranger.stop();
    removeDir(stranger.dir);
  }
});

const stateOf = async (observer: ClusterNode, name: string) =>
  (await members(observer.node)).find((m) => m.name === name)?.state;

describe("membership between node processes (/members)", () => {
  it("lists every member as alive with its gRPC and gossip addresses", async () => {
    expect(
      await waitFor(async () => {
        for (const n of nodes) {
          const ms = await members(n.node);
          if (ms.length !== 5 || ms.some((m) => m.state !== "alive")) return false;
        }
        return true;
      }, 15_000),
    ).toBe(true);
    const ms = await members(nodes[0]!.node);
    const mb3 = ms.find((m) => m.name === "mb3")!;
    expect(mb3.address).toBe(nodes[3]!.node.address);
    expect(mb3.gossip).toBe(nodes[3]!.gossip);
    expect(mb3.incarnation).toBeGreaterThanOrEqual(0);
  });

  it("reports a SIGKILLed member dead on every other member", async () => {
    nodes[4]!.node.kill("SIGKILL");
    const started = Date.now();
    expect(
      await waitFor(async () => {
        for (const n of nodes.slice(0, 4)) if ((await stateOf(n, "mb4")) !== "dead") return false;
        return true;
      }, 30_000),
    ).toBe(true);
    console.log(`all members marked the killed node dead after ${Date.now() - started} ms`);
  });

  it("reports a SIGTERMed member as left, not dead", async () => {
    nodes[3]!.node.kill("SIGTERM");
    expect((await nodes[3]!.node.exited).code).toBe(0);
    // The leave notice is gossiped before the process exits; give the last hop a moment.
    const seen: (string | undefined)[] = [];
    expect(
      await waitFor(async () => {
        for (const n of nodes.slice(0, 3)) {
          const state = await stateOf(n, "mb3");
          seen.push(state);
          if (state !== "left") return false;
        }
        return true;
      }, 5_000),
    ).toBe(true);
    expect(seen).not.toContain("dead");
  });

  it("never admits a node with the wrong secret", async () => {
    const dir = tempDir("plz-cache-intruder-");
    stranger = new NodeProcess(
      [
        "--host",
        "127.0.0.1",
        "-p",
        "0",
        "-d",
        dir,
        "-v",
        "info",
        "--node_name",
        "intruder",
        "--cluster_port",
        "0",
        "--cluster_addresses",
        nodes[0]!.gossip,
        "--cluster_secret",
        "wrong",
      ],
      dir,
    );
    // It cannot complete the gossip join, so it never serves, and no member ever lists it.
    await new Promise((r) => setTimeout(r, 8000));
    expect(stranger.logs.some((l) => l.msg === "serving")).toBe(false);
    for (const n of nodes.slice(0, 3)) {
      expect((await members(n.node)).map((m) => m.name)).not.toContain("intruder");
    }
  });
});
