import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect as connectHttp2 } from "node:http2";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  art,
  hashOf,
  type LogLine,
  type NodeProcess,
  removeDir,
  retrieveReq,
  runCli,
  startNode,
  storeReq,
  tempDir,
} from "./harness.js";

let node: NodeProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (node) {
    await node.stop();
    removeDir(node.dir);
    node = undefined;
  }
  for (const d of dirs.splice(0)) removeDir(d);
});

/** A temp dir removed after the test. */
function scratch(): string {
  const d = tempDir("plz-cache-process-");
  dirs.push(d);
  return d;
}

/** Resolves once `pred` holds, polling every 20 ms; rejects after `timeoutMs`. */
async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!pred()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

  it("folds commander's suggestion for a near-miss flag into its one line", async () => {
    const r = await runCli(["--http-port", "8080"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("plz-cache-node: unknown option '--http-port' (did you mean --http_port?)\n");
  });

  it("checks the files its flags name before starting: exit 2, one line naming the flag and the path", async () => {
    const d = scratch();
    const text = join(d, "notes.txt");
    writeFileSync(text, "not PEM");
    const empty = join(d, "empty");
    mkdirSync(empty);
    const store = join(d, "store");
    const cases: [string[], string][] = [
      [
        ["--key_file", join(d, "no.key"), "--cert_file", text],
        `--key_file ${join(d, "no.key")} does not exist`,
      ],
      [["--key_file", text, "--cert_file", text], `--key_file ${text} is not a PEM private key`],
      [["--log_file", join(d, "no-dir", "n.log")], `--log_file ${join(d, "no-dir", "n.log")}: its directory`],
      [
        ["--dir", join(text, "store")],
        `--dir ${join(text, "store")} cannot be created: ${text} is not a directory`,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(["-d", store, "-p", "0", ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`plz-cache-node: ${message}`);
    }
    // Nothing started: the store directory was never made.
    expect(() => readFileSync(store)).toThrow(/ENOENT/);
  });

  it("refuses --cluster_certs without a cluster secret (gossip would be unauthenticated)", async () => {
    const r = await runCli([
      ...["--key_file", "k.pem", "--cert_file", "c.pem", "--ca_cert_file", "ca.pem"],
      ...["--cluster_certs", "peers.pem", "--seed_cluster", "--cluster_size", "2"],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^plz-cache-node: --cluster_certs needs --cluster_secret .*gossip is not TLS.*\n$/,
    );
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

  it("drains an in-flight store on SIGINT too, then exits 0", async () => {
    node = await startNode({ args: ["-v", "debug"] });
    const pending = storeReq(node.client(undefined, false), hashOf(3), [
      art("drain", "t", "int", Buffer.alloc(16 * 1024 * 1024, 5)),
    ]);
    await node.waitForLog((l) => l.msg === "rpc" && l.method === "Store");
    node.kill("SIGINT");
    await expect(pending).resolves.toEqual({ success: true });
    expect(await node.exited).toEqual({ code: 0, signal: null });
    expect(
      node.logs.some((l) => l.msg === "draining in-flight requests, then exiting" && l.signal === "SIGINT"),
    ).toBe(true);
    expect(node.logs.some((l) => l.msg === "stopped")).toBe(true);
  });

  it("forces exit 1 on a second signal while the drain waits for a request", async () => {
    node = await startNode();
    // A Store whose message never finishes arriving: the drain waits for it (up to its 10 s grace).
    const session = connectHttp2(`http://${node.address}`);
    try {
      await new Promise<void>((resolve, reject) => {
        session.once("connect", () => resolve());
        session.once("error", reject);
      });
      const stream = session.request({
        ":method": "POST",
        ":path": "/proto.rpc_cache.RpcCache/Store",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("error", () => {});
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(1024 * 1024, 1); // announces 1 MiB, sends 100 bytes
      stream.write(Buffer.concat([prefix, Buffer.alloc(100, 1)]));
      // The ping's answer comes after the server has read the frames sent before it.
      await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
      node.kill("SIGTERM");
      await node.waitForLog((l) => l.msg === "draining in-flight requests, then exiting");
      const started = Date.now();
      node.kill("SIGTERM");
      expect(await node.exited).toEqual({ code: 1, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(node.logs.some((l) => l.msg === "second signal: forcing shutdown")).toBe(true);
      expect(node.logs.some((l) => l.msg === "stopped")).toBe(false);
    } finally {
      session.destroy();
    }
  });

  it("also writes its JSON log lines to --log_file", async () => {
    const logFile = join(scratch(), "node.log");
    node = await startNode({ args: ["--log_file", logFile] });
    const lines = (): LogLine[] => {
      try {
        return readFileSync(logFile, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as LogLine);
      } catch {
        return [];
      }
    };
    await until(() => lines().some((l) => l.msg === "serving"));
    const serving = lines().find((l) => l.msg === "serving")!;
    expect(serving).toMatchObject({ port: node.port, dir: node.dir });
    expect(typeof serving.time).toBe("string");
  });

  it("takes its node name from NODE_NAME when --node_name is absent", async () => {
    node = await startNode({ env: { NODE_NAME: "named-by-env" } });
    expect(node.logs.find((l) => l.msg === "serving")).toMatchObject({ node: "named-by-env" });
    const flagged = await startNode({
      env: { NODE_NAME: "named-by-env" },
      args: ["--node_name", "named-by-flag"],
    });
    try {
      expect(flagged.logs.find((l) => l.msg === "serving")).toMatchObject({ node: "named-by-flag" });
    } finally {
      await flagged.stop();
      removeDir(flagged.dir);
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
