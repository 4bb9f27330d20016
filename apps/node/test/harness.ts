import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ChannelCredentials } from "@grpc/grpc-js";
import {
  type Artifact,
  callUnary,
  createHealthClient,
  createRpcCacheClient,
  type RpcCacheClient,
} from "@plz-cache/protocol";

export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = "plz-cache-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A `plz-cache-node` child process on free ports with a temp dir. */
export class NodeProcess {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  port = 0;
  httpPort = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #clients: { close(): void }[] = [];

  constructor(args: string[], dir: string, env: NodeJS.ProcessEnv = {}) {
    this.dir = dir;
    this.proc = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) =>
      this.proc.once("exit", (code, signal) => resolve({ code, signal })),
    );
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ level: 0, msg: line });
      }
    });
    createInterface({ input: this.proc.stderr! }).on("line", (line) => this.stderr.push(line));
  }

  /** Resolves with the first log line matching `pred`, or rejects when the process exits first. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const hit = this.logs.find(pred);
        if (hit) return resolve(hit);
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          return reject(new Error(`node exited (${this.proc.exitCode}): ${this.stderr.join("\n")}`));
        }
        if (Date.now() - started > timeoutMs) return reject(new Error("timed out waiting for a log line"));
        setTimeout(tick, 20);
      };
      tick();
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  client(credentials?: ChannelCredentials, gzip = true): RpcCacheClient {
    const c = createRpcCacheClient(this.address, credentials ? { credentials, gzip } : { gzip });
    this.#clients.push(c);
    return c;
  }

  health() {
    const c = createHealthClient(this.address);
    this.#clients.push(c);
    return c;
  }

  async http(path: string): Promise<{ status: number; body: string; type: string | null }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.proc.kill(signal);
  }

  async stop(): Promise<void> {
    for (const c of this.#clients) c.close();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGKILL");
      await this.exited;
    }
  }
}

/** Starts a node on 127.0.0.1 with gRPC and HTTP on port 0, waits until it serves. */
export async function startNode(
  opts: { dir?: string; args?: string[]; env?: NodeJS.ProcessEnv; http?: boolean } = {},
): Promise<NodeProcess> {
  const dir = opts.dir ?? tempDir();
  const args = ["--host", "127.0.0.1", "-p", "0", "-d", dir, "-v", "info", ...(opts.args ?? [])];
  if (opts.http ?? true) args.push("-h", "0");
  const node = new NodeProcess(args, dir, opts.env);
  const serving = await node.waitForLog((l) => l.msg === "serving");
  node.port = serving.port as number;
  node.httpPort = (serving.httpPort as number | undefined) ?? 0;
  return node;
}

/** Runs the CLI to completion (for flag errors). */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const OS = "linux";
export const ARCH = "amd64";

export function art(
  pkg: string,
  target: string,
  file: string,
  body?: Buffer | string,
  symlink = "",
): Artifact {
  return {
    package: pkg,
    target,
    file,
    body: body === undefined ? Buffer.alloc(0) : Buffer.from(body),
    symlink,
  };
}

export function storeReq(
  client: RpcCacheClient,
  hash: Buffer,
  artifacts: Artifact[],
  hostname = "test-host",
) {
  return callUnary(
    client,
    client.store,
    { os: OS, arch: ARCH, hash, hostname, artifacts },
    { timeoutMs: 30_000 },
  );
}

export function retrieveReq(client: RpcCacheClient, hash: Buffer, artifacts: Artifact[]) {
  return callUnary(client, client.retrieve, { os: OS, arch: ARCH, hash, artifacts }, { timeoutMs: 30_000 });
}

export function deleteReq(client: RpcCacheClient, artifacts: Artifact[], everything = false) {
  return callUnary(
    client,
    client.delete,
    { os: OS, arch: ARCH, artifacts, everything },
    { timeoutMs: 30_000 },
  );
}

export function hashOf(n: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(n >>> 0, 0);
  b.writeUInt32LE(0xabcdef01, 4);
  return b;
}
