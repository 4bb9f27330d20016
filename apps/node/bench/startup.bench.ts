// Start-up time of plz-cache-node with a populated store: from spawn to the health service
// answering SERVING, with an empty store as the baseline measured in the same run.
//   pnpm --filter @plz-cache/node bench:startup          # empty and 100k artifacts
//   BENCH_1M=1 pnpm --filter @plz-cache/node bench:startup   # also 1,000,000 (about 10 min to populate)
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { callUnary, createHealthClient } from "@plz-cache/protocol";

const here = fileURLToPath(new URL(".", import.meta.url));
const CLI = join(here, "../dist/cli.js");
const POPULATE = join(here, "../../../packages/store/bench/populate.ts");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function startOnce(dir: string): Promise<{ servingLogMs: number; healthMs: number }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [CLI, "--host", "127.0.0.1", "-p", "0", "-d", dir, "-v", "info"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      try {
        const j = JSON.parse(line);
        if (j.msg === "serving") resolve(j.port);
      } catch {}
    });
    proc.once("exit", (code) => reject(new Error(`node exited ${code}`)));
  });
  const servingLogMs = performance.now() - t0;
  const health = createHealthClient(`127.0.0.1:${port}`);
  let healthMs = 0;
  for (;;) {
    try {
      const r = await callUnary(health, health.check, { service: "plz-rpc-cache" }, { timeoutMs: 1000 });
      if (r.status === 1) {
        healthMs = performance.now() - t0;
        break;
      }
    } catch {}
  }
  health.close();
  proc.kill("SIGTERM");
  await new Promise((r) => proc.once("exit", r));
  return { servingLogMs, healthMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main() {
  const sizes = [0, 100_000, ...(process.env.BENCH_1M ? [1_000_000] : [])];
  const rows = [];
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), `plz-cache-startup-${n}-`));
    if (n > 0) {
      console.log(`populating ${n} artifacts…`);
      execFileSync(process.execPath, ["--import", "tsx", POPULATE, dir, String(n), "fast"], {
        stdio: "inherit",
      });
    }
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await startOnce(dir));
    rows.push({
      artifacts: n,
      toServingLogMs: Math.round(median(runs.map((r) => r.servingLogMs))),
      toHealthServingMs: Math.round(median(runs.map((r) => r.healthMs))),
      runs: runs.length,
    });
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows);
  const out = join(here, "../bench-results");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "startup.json"), JSON.stringify({ rows }, null, 2));
}

void main();
