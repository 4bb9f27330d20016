import { afterEach, describe, expect, it } from "vitest";
import {
  art,
  hashOf,
  type NodeProcess,
  removeDir,
  retrieveReq,
  runCli,
  startNode,
  storeReq,
} from "./harness.js";

let node: NodeProcess | undefined;
afterEach(async () => {
  if (node) {
    await node.stop();
    removeDir(node.dir);
    node = undefined;
  }
});

describe("the plz-cache-node process", () => {
  it.each([
    [["--port", "nope"]],
    [["--high_water_mark", "lots"]],
    [["--key_file", "only-a-key.pem"]],
    [["--seed_cluster", "--cluster_size", "1"]],
    [["--no-such-flag"]],
  ])("exits 2 with a one-line error for %j", async (args) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^plz-cache-node: /);
  });

  it("prints help and exits 0 with --help", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--high_water_mark");
  });

  it("drains an in-flight store on SIGTERM, then exits 0", async () => {
    node = await startNode({ args: ["-v", "debug"] });
    const client = node.client(undefined, false);
    const body = Buffer.alloc(64 * 1024 * 1024, 3);
    const pending = storeReq(client, hashOf(1), [art("drain", "t", "f", body)]);
    // The whole request has arrived and the handler is writing it: now ask the node to stop.
    await node.waitForLog((l) => l.msg === "rpc" && l.method === "Store");
    node.kill("SIGTERM");
    await expect(pending).resolves.toEqual({ success: true });
    expect((await node.exited).code).toBe(0);
    const again = await startNode({ dir: node.dir });
    try {
      const res = await retrieveReq(again.client(), hashOf(1), [art("drain", "t", "f")]);
      expect(res.success).toBe(true);
      expect(res.artifacts[0]!.body.length).toBe(body.length);
    } finally {
      await again.stop();
    }
  });

  it("keeps serving after garbage bytes on its gRPC port", async () => {
    node = await startNode();
    const { connect } = await import("node:net");
    await new Promise<void>((resolve) => {
      const s = connect(node!.port, "127.0.0.1", () => {
        s.write(Buffer.from("GET / HTTP/1.1\r\n\r\n\u0000\u0001garbage"));
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
      s.on("error", () => resolve());
    });
    await storeReq(node.client(), hashOf(2), [art("still", "t", "f", "up")]);
    expect((await retrieveReq(node.client(), hashOf(2), [art("still", "t", "f")])).success).toBe(true);
  });
});
