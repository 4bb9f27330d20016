import { status } from "@grpc/grpc-js";
import { callUnary, type RpcCacheClient } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARCH,
  art,
  deleteReq,
  hashOf,
  type NodeProcess,
  OS,
  removeDir,
  retrieveReq,
  startNode,
  storeReq,
} from "./harness.js";

let node: NodeProcess;
let client: RpcCacheClient;

beforeAll(async () => {
  node = await startNode();
  client = node.client();
});
afterAll(async () => {
  await node.stop();
  removeDir(node.dir);
});

describe("RpcCache on one node", () => {
  it("stores and retrieves a target's artifacts byte for byte", async () => {
    const h = hashOf(1);
    const body = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    expect(
      await storeReq(client, h, [
        art("src/core", "core", "core.a", body),
        art("src/core", "core", "x.h", "hdr"),
      ]),
    ).toEqual({ success: true });
    const res = await retrieveReq(client, h, [
      art("src/core", "core", "core.a"),
      art("src/core", "core", "x.h"),
    ]);
    expect(res.success).toBe(true);
    expect(res.artifacts.map((a) => [a.package, a.target, a.file, a.symlink])).toEqual([
      ["src/core", "core", "core.a", ""],
      ["src/core", "core", "x.h", ""],
    ]);
    expect(Buffer.compare(res.artifacts[0]!.body, body)).toBe(0);
    expect(res.artifacts[1]!.body.toString()).toBe("hdr");
  });

  it("answers a miss with success false, not an error, when any one artifact is missing", async () => {
    const h = hashOf(2);
    await storeReq(client, h, [art("p", "t", "a", "A")]);
    expect(await retrieveReq(client, h, [art("p", "t", "a"), art("p", "t", "b")])).toEqual({
      success: false,
      artifacts: [],
    });
    expect((await retrieveReq(client, hashOf(3), [art("p", "t", "a")])).success).toBe(false);
  });

  it("returns every file below a requested directory, relative to the hash directory", async () => {
    const h = hashOf(4);
    await storeReq(client, h, [
      art("pkg", "gen", "out/a.txt", "a"),
      art("pkg", "gen", "out/sub/b.txt", "b"),
      art("pkg", "gen", "outside.txt", "c"),
    ]);
    const res = await retrieveReq(client, h, [art("pkg", "gen", "out")]);
    expect(res.success).toBe(true);
    expect(res.artifacts.map((a) => [a.file, a.body.toString()]).sort()).toEqual([
      ["out/a.txt", "a"],
      ["out/sub/b.txt", "b"],
    ]);
  });

  it("keeps symlinks as symlinks and never follows them", async () => {
    const h = hashOf(5);
    await storeReq(client, h, [
      art("pkg", "ln", "link", undefined, "../../../../etc/passwd"),
      art("pkg", "ln", "f", "F"),
    ]);
    const res = await retrieveReq(client, h, [art("pkg", "ln", "link")]);
    expect(res.success).toBe(true);
    expect(res.artifacts).toHaveLength(1);
    expect(res.artifacts[0]!.symlink).toBe("../../../../etc/passwd");
    expect(res.artifacts[0]!.body.length).toBe(0);
  });

  it("deletes every hash of a target and only that target", async () => {
    await storeReq(client, hashOf(10), [art("d", "victim", "f", "1")]);
    await storeReq(client, hashOf(11), [art("d", "victim", "f", "2")]);
    await storeReq(client, hashOf(12), [art("d", "bystander", "f", "3")]);
    expect(await deleteReq(client, [art("d", "victim", "")])).toEqual({ success: true });
    expect((await retrieveReq(client, hashOf(10), [art("d", "victim", "f")])).success).toBe(false);
    expect((await retrieveReq(client, hashOf(11), [art("d", "victim", "f")])).success).toBe(false);
    expect((await retrieveReq(client, hashOf(12), [art("d", "bystander", "f")])).success).toBe(true);
  });

  it("lists no nodes when unclustered", async () => {
    expect(await callUnary(client, client.listNodes, {})).toEqual({ nodes: [] });
  });

  it("answers the health service with SERVING for '' and plz-rpc-cache", async () => {
    const health = node.health();
    expect(await callUnary(health, health.check, { service: "" })).toEqual({ status: 1 });
    expect(await callUnary(health, health.check, { service: "plz-rpc-cache" })).toEqual({ status: 1 });
    await expect(callUnary(health, health.check, { service: "nope" })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("accepts requests with and without gzip", async () => {
    const plain = node.client(undefined, false);
    const h = hashOf(20);
    const body = Buffer.alloc(1 << 20, "z");
    await storeReq(client, h, [art("gz", "t", "gz", body)]);
    const res = await retrieveReq(plain, h, [art("gz", "t", "gz")]);
    expect(res.success && Buffer.compare(res.artifacts[0]!.body, body) === 0).toBe(true);
  });

  it.each([
    ["os", { os: "../x" }],
    ["arch", { arch: "a/b" }],
    ["package ..", { pkg: "a/../../b" }],
    ["absolute package", { pkg: "/etc" }],
    ["target with slash", { target: "a/b" }],
    ["file ..", { file: "../../x" }],
    ["absolute file", { file: "/tmp/x" }],
    ["NUL", { file: "a\u0000b" }],
    ["empty segment", { file: "a//b" }],
    ["empty file", { file: "" }],
  ])("rejects a traversal attempt in %s with INVALID_ARGUMENT and writes nothing", async (_, bad) => {
    const before = await node.http("/");
    const b = bad as { os?: string; arch?: string; pkg?: string; target?: string; file?: string };
    const req = {
      os: b.os ?? OS,
      arch: b.arch ?? ARCH,
      hash: hashOf(30),
      hostname: "evil",
      artifacts: [
        art("ok", "ok", "good", "fine"),
        art(b.pkg ?? "ok", b.target ?? "ok", b.file ?? "f", "evil"),
      ],
    };
    await expect(callUnary(client, client.store, req)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(
      callUnary(client, client.retrieve, {
        os: req.os,
        arch: req.arch,
        hash: req.hash,
        artifacts: req.artifacts,
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await node.http("/")).body).toBe(before.body);
    expect((await retrieveReq(client, hashOf(30), [art("ok", "ok", "good")])).success).toBe(false);
  });

  it("refuses an empty hash with INVALID_ARGUMENT", async () => {
    await expect(storeReq(client, Buffer.alloc(0), [art("p", "t", "f", "x")])).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it("refuses a message over 200 MiB with RESOURCE_EXHAUSTED and carries on", async () => {
    const big = node.client(undefined, false);
    // Let this client send more than the server accepts.
    const { createRpcCacheClient } = await import("@plz-cache/protocol");
    const sender = createRpcCacheClient(node.address, { gzip: false, maxMessageBytes: 300 * 1024 * 1024 });
    try {
      const body = Buffer.alloc(201 * 1024 * 1024, 1);
      await expect(storeReq(sender, hashOf(40), [art("big", "t", "f", body)])).rejects.toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
      });
    } finally {
      sender.close();
    }
    expect((await retrieveReq(big, hashOf(40), [art("big", "t", "f")])).success).toBe(false);
    await storeReq(client, hashOf(41), [art("after", "t", "f", "still here")]);
    expect((await retrieveReq(client, hashOf(41), [art("after", "t", "f")])).success).toBe(true);
  });

  it("serves sizes on / and the original's counters on /metrics", async () => {
    const root = await node.http("/");
    expect(root.status).toBe(200);
    expect(root.body).toMatch(/^Total size: \d+ bytes\nNum files: \d+\n$/);
    const metrics = await node.http("/metrics");
    expect(metrics.status).toBe(200);
    for (const name of [
      "retrieved_count",
      "stored_count",
      "retrieved_bytes",
      "stored_bytes",
      "retrieve_failures",
    ]) {
      expect(metrics.body).toContain(`${name}{arch="amd64"}`);
    }
    expect(metrics.body).toContain("rpc_duration_seconds_bucket");
    expect(metrics.body).toMatch(/store_size_bytes \d+/);
    expect((await node.http("/nope")).status).toBe(404);
  });

  it("deletes everything with everything: true", async () => {
    await storeReq(client, hashOf(50), [art("e", "t", "f", "x")]);
    expect(await deleteReq(client, [], true)).toEqual({ success: true });
    expect((await retrieveReq(client, hashOf(50), [art("e", "t", "f")])).success).toBe(false);
    expect((await node.http("/")).body).toBe("Total size: 0 bytes\nNum files: 0\n");
  });
});
