/**
 * Real `plz-cache-node` processes for integration tests, on free ports with temp dirs. A
 * {@link Fleet} owns every process and directory a test file starts, so `afterAll(() =>
 * fleet.stop())` leaves nothing behind. Clusters are built on it in `cluster.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The server's built entry point. */
export const NODE_CLI = fileURLToPath(new URL("../../../node/dist/cli.js", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A temporary directory (removed by the fleet that made it, or by {@link removeDir}). */
export function tempDir(prefix = "plz-cache-client-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** One `plz-cache-node` child process. */
export class NodeProcess {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port = 0;
  httpPort = 0;
  /** The node's name, as it logged it. */
  name = "";
  /** Gossip `host:port` (clustered nodes only). */
  clusterAddress = "";
  /** The cluster slot it serves (clustered nodes only; -1 otherwise). */
  slot = -1;

  constructor(args: readonly string[], dir: string, env: NodeJS.ProcessEnv = {}) {
    if (!existsSync(NODE_CLI)) {
      throw new Error(
        `${NODE_CLI} is missing: build the server first (pnpm --filter @plz-cache/node... build)`,
      );
    }
    this.dir = dir;
    this.proc = spawn(process.execPath, [NODE_CLI, ...args], {
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

  /** The first log line matching `pred`; rejects if the process exits first or after `timeoutMs`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const hit = this.logs.find(pred);
        if (hit) return resolve(hit);
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          return reject(
            new Error(`plz-cache-node exited (${this.proc.exitCode}): ${this.stderr.join("\n")}`),
          );
        }
        if (Date.now() - started > timeoutMs)
          return reject(new Error("timed out waiting for plz-cache-node"));
        setTimeout(tick, 20);
      };
      tick();
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** GETs `path` from the node's HTTP port. */
  async http(path: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return res.text();
  }

  /** The Prometheus counter `name{arch="<arch>"}` (0 before it first counts). */
  async counter(name: string, arch: string): Promise<number> {
    const text = await this.http("/metrics");
    const line = text.split("\n").find((l) => l.startsWith(`${name}{arch="${arch}"} `));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Kills the process at once (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGKILL");
      await this.exited;
    }
  }
}

export interface StartNodeOptions {
  /** Storage directory. Default: a new temp dir, removed by the fleet. */
  dir?: string;
  /** Extra flags (TLS, cluster, ...). */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The nodes and directories of one test file. */
export class Fleet {
  readonly nodes: NodeProcess[] = [];
  readonly #dirs: string[] = [];

  /** A temp dir removed by {@link stop}. */
  tempDir(prefix?: string): string {
    const dir = tempDir(prefix);
    this.#dirs.push(dir);
    return dir;
  }

  /** Starts a node on 127.0.0.1 with gRPC and HTTP on port 0 and waits until it serves. */
  async start(opts: StartNodeOptions = {}): Promise<NodeProcess> {
    const dir = opts.dir ?? this.tempDir("plz-cache-node-");
    const args = ["--host", "127.0.0.1", "-p", "0", "-h", "0", "-d", dir, "-v", "info", ...(opts.args ?? [])];
    const node = new NodeProcess(args, dir, opts.env);
    this.nodes.push(node);
    const serving = await node.waitForLog((l) => l.msg === "serving");
    node.port = serving.port as number;
    node.httpPort = (serving.httpPort as number | undefined) ?? 0;
    node.name = typeof serving.node === "string" ? serving.node : "";
    node.clusterAddress = (serving.clusterPort as string | undefined) ?? "";
    node.slot = typeof serving.slot === "number" ? serving.slot : -1;
    return node;
  }

  /** Kills every node and removes every directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    for (const dir of this.#dirs) removeDir(dir);
  }
}
