// Store/Retrieve throughput of plz-cache-node against a bare grpc-js Map server (the ceiling),
// same client, same run, alternating rounds; peak RSS of the node. Prints a table, writes JSON.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { callUnary, createRpcCacheClient, type RpcCacheClient } from "@plz-cache/protocol";

const here = fileURLToPath(new URL(".", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** The floor: the node reaches at least 0.7x the bare Map server on every row. */
const TARGET_RATIO = 0.7;
/** Extra flags for the node, e.g. `BENCH_NODE_ARGS="--no-fsync"`. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);

interface Proc {
  proc: ChildProcess;
  port: number;
}

function spawnServer(cmd: string[], cwd?: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, cmd, { stdio: ["ignore", "pipe", "inherit"], cwd });
    const rl = createInterface({ input: proc.stdout! });
    rl.on("line", (line) => {
      try {
        const j = JSON.parse(line);
        if (j.msg === "serving") resolve({ proc, port: j.port });
      } catch {}
    });
    proc.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

interface Row {
  case: string;
  op: "store" | "retrieve";
  target: "node" | "map";
  opsPerSec: number;
  mbPerSec: number;
}

async function run(
  client: RpcCacheClient,
  op: "store" | "retrieve",
  size: number,
  concurrency: number,
  prefix: string,
): Promise<{ ops: number; seconds: number }> {
  const body = Buffer.alloc(size, 0x5a);
  const keys = keysFor(size);
  let ops = 0;
  const until = Date.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = w;
      while (Date.now() < until) {
        const hash = Buffer.alloc(20);
        hash.writeUInt32LE(Math.imul(i % keys, 2654435761) >>> 0, 0);
        const artifacts = [{ package: "bench", target: prefix, file: `f${i % keys}`, body, symlink: "" }];
        if (op === "store") {
          await callUnary(client, client.store, {
            os: "linux",
            arch: "amd64",
            hash,
            hostname: "bench",
            artifacts,
          });
        } else {
          const res = await callUnary(client, client.retrieve, {
            os: "linux",
            arch: "amd64",
            hash,
            artifacts: artifacts.map((a) => ({ ...a, body: Buffer.alloc(0) })),
          });
          if (!res.success) throw new Error("bench retrieve missed");
        }
        ops++;
        i += concurrency;
      }
    }),
  );
  return { ops, seconds: (performance.now() - start) / 1000 };
}

/** Distinct keys per case: 256, but at most 256 MiB of bodies. */
function keysFor(size: number): number {
  return Math.max(4, Math.min(256, Math.floor((256 * 2 ** 20) / size)));
}

async function prefill(client: RpcCacheClient, size: number, prefix: string) {
  const body = Buffer.alloc(size, 0x5a);
  for (let i = 0; i < keysFor(size); i++) {
    const hash = Buffer.alloc(20);
    hash.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 0);
    await callUnary(client, client.store, {
      os: "linux",
      arch: "amd64",
      hash,
      hostname: "bench",
      artifacts: [{ package: "bench", target: prefix, file: `f${i}`, body, symlink: "" }],
    });
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "plz-cache-bench-"));
  const node = await spawnServer([
    join(here, "../dist/cli.js"),
    "--host",
    "127.0.0.1",
    "-p",
    "0",
    "-d",
    dir,
    "-v",
    "info",
    ...NODE_ARGS,
  ]);
  const map = await spawnServer(["--import", "tsx", join(here, "map-server.ts")], here);
  const clients = {
    node: createRpcCacheClient(`127.0.0.1:${node.port}`, { gzip: false }),
    map: createRpcCacheClient(`127.0.0.1:${map.port}`, { gzip: false }),
  };
  const cases = [
    { name: "4 KiB x32", size: 4096, concurrency: 32 },
    { name: "16 MiB x2", size: 16 * 1024 * 1024, concurrency: 2 },
  ];
  const rows: Row[] = [];
  for (const c of cases) {
    for (const t of ["node", "map"] as const) await prefill(clients[t], c.size, c.name.replace(/\W/g, ""));
    for (let round = 0; round < ROUNDS; round++) {
      for (const op of ["store", "retrieve"] as const) {
        // Alternate which server goes first each round.
        const order = round % 2 ? (["map", "node"] as const) : (["node", "map"] as const);
        for (const t of order) {
          const r = await run(clients[t], op, c.size, c.concurrency, c.name.replace(/\W/g, ""));
          rows.push({
            case: c.name,
            op,
            target: t,
            opsPerSec: r.ops / r.seconds,
            mbPerSec: (r.ops * c.size) / r.seconds / 1e6,
          });
        }
      }
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const table = [];
  for (const c of cases) {
    for (const op of ["store", "retrieve"] as const) {
      const pick = (t: string) =>
        median(
          rows.filter((r) => r.case === c.name && r.op === op && r.target === t).map((r) => r.opsPerSec),
        );
      const n = pick("node");
      const m = pick("map");
      table.push({
        case: c.name,
        op,
        nodeOpsPerSec: Math.round(n),
        mapOpsPerSec: Math.round(m),
        nodeMBps: Math.round((n * c.size) / 1e6),
        mapMBps: Math.round((m * c.size) / 1e6),
        ratio: Number((n / m).toFixed(2)),
        target: n / m >= TARGET_RATIO ? "met" : "NOT MET",
      });
    }
  }
  const peakRss = rssOf(node.proc.pid!);
  console.table(table);
  console.log(`node peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  for (const c of Object.values(clients)) c.close();
  node.proc.kill("SIGKILL");
  map.proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  const out = join(here, "../bench-results");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, "throughput.json"),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        rounds: ROUNDS,
        secondsPerRun: SECONDS,
        targetRatio: TARGET_RATIO,
        table,
        rows,
        nodePeakRssBytes: peakRss,
      },
      null,
      2,
    ),
  );
}

void main();
