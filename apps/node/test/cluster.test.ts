import { status } from "@grpc/grpc-js";
import { callUnary, createRpcServerClient } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterNode,
  holds,
  listNodes,
  startCluster,
  startClusterNode,
  waitFor,
} from "./cluster-harness.js";
import { art, deleteReq, hashOf, removeDir, runCli, storeReq } from "./harness.js";

const SECRET = ["--cluster_secret", "test-cluster-secret"];
let nodes: ClusterNode[];
const extra: ClusterNode[] = [];

beforeAll(async () => {
  nodes = await startCluster("fx", 3, SECRET);
}, 60_000);
afterAll(async () => {
  for (const n of [...nodes, ...extra]) {
    await n.node.stop();
    removeDir(n.node.dir);
  }
});

const at = (i: number) => nodes[i]!.node;

describe("fixed-mode cluster of three", () => {
  it("agrees on the node list, in slot order, with the spec's ranges", async () => {
    const lists = await Promise.all(nodes.map((n) => listNodes(n.node)));
    for (const l of lists) expect(l).toEqual(lists[0]);
    expect(lists[0]!.map((n) => [n.name, n.hashBegin, n.hashEnd])).toEqual([
      ["fx0", 0, 1431655765],
      ["fx1", 1431655765, 2863311530],
      ["fx2", 2863311530, 4294967295],
    ]);
    expect(lists[0]!.map((n) => n.address)).toEqual(nodes.map((n) => n.node.address));
  });

  it("replicates a store on the owner to the alternate owner, and vice versa", async () => {
    // Point 100 is slot 0's; its alternate 2^31 + 100 is slot 1's.
    await storeReq(at(0).client(), hashOf(100), [art("cl", "t", "owner-first", "A")]);
    expect(await waitFor(() => holds(at(1), hashOf(100), "owner-first"), 10_000)).toBe(true);
    expect(await holds(at(2), hashOf(100), "owner-first")).toBe(false);
    await storeReq(at(1).client(), hashOf(101), [art("cl", "t", "replica-first", "B")]);
    expect(await waitFor(() => holds(at(0), hashOf(101), "replica-first"), 10_000)).toBe(true);
  });

  it("owns and replicates the point 0xFFFFFFFF", async () => {
    // 0xFFFFFFFF is the last slot's; its alternate 2^31 - 1 is slot 1's.
    await storeReq(at(2).client(), hashOf(0xffffffff), [art("cl", "t", "top", "T")]);
    expect(await waitFor(() => holds(at(1), hashOf(0xffffffff), "top"), 10_000)).toBe(true);
  });

  it("sends a delete on one node to all", async () => {
    await storeReq(at(2).client(), hashOf(3_000_000_000), [art("cl", "t", "doomed", "D")]);
    expect(await waitFor(() => holds(at(0), hashOf(3_000_000_000), "doomed"), 10_000)).toBe(true);
    await deleteReq(at(1).client(), [art("cl", "t", "")]);
    for (const i of [0, 1, 2]) {
      expect(await waitFor(async () => !(await holds(at(i), hashOf(3_000_000_000), "doomed")), 10_000)).toBe(
        true,
      );
    }
  });

  it("refuses Join and Replicate without the cluster secret and changes nothing", async () => {
    const c = createRpcServerClient(at(0).address);
    try {
      await expect(
        callUnary(c, c.join, { name: "intruder", address: "127.0.0.1:1" }, { timeoutMs: 5000 }),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(
        callUnary(
          c,
          c.replicate,
          {
            artifacts: [art("cl", "t", "forged", "evil")],
            os: "linux",
            arch: "amd64",
            hash: hashOf(7),
            delete: false,
            hostname: "x",
            peer: "fx1",
          },
          { timeoutMs: 5000 },
        ),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      c.close();
    }
    expect(await holds(at(0), hashOf(7), "forged")).toBe(false);
    expect((await listNodes(at(0))).map((n) => n.name)).toEqual(["fx0", "fx1", "fx2"]);
  });

  it("refuses a fourth name, which exits non-zero with a clear message", async () => {
    const r = await runCli([
      "--host",
      "127.0.0.1",
      "-p",
      "0",
      "--cluster_port",
      "0",
      "--node_name",
      "fx3",
      "--cluster_addresses",
      nodes[0]!.gossip,
      "-d",
      `${at(0).dir}-fx3`,
      ...SECRET,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/could not join the cluster: .*all 3 slots are taken/);
  });

  it("serves from the replica when the owner is killed, and catches the owner up when it rejoins", async () => {
    await storeReq(at(0).client(), hashOf(200), [art("cl", "t", "before", "1")]);
    expect(await waitFor(() => holds(at(1), hashOf(200), "before"), 10_000)).toBe(true);
    const dir = at(0).dir;
    at(0).kill("SIGKILL");
    await at(0).exited;
    // The replica serves.
    expect(await holds(at(1), hashOf(200), "before")).toBe(true);
    // Written while the owner is down: a client retries on the alternate owner.
    await storeReq(at(1).client(), hashOf(201), [art("cl", "t", "while-down", "2")]);
    // Restart under its name, on a new port, through another member.
    const back = await startClusterNode("fx0", ["--cluster_addresses", nodes[1]!.gossip, ...SECRET], { dir });
    nodes[0] = back;
    expect(back.node.logs.find((l) => l.msg === "serving")!.slot).toBe(0);
    expect(await waitFor(() => holds(back.node, hashOf(201), "while-down"), 20_000)).toBe(true);
    expect(await holds(back.node, hashOf(200), "before")).toBe(true);
    // Everyone learns its new address.
    expect(
      await waitFor(async () => (await listNodes(at(2)))[0]!.address === back.node.address, 10_000),
    ).toBe(true);
  });
});
