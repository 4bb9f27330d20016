/**
 * Small puts, inline in the index against one blob file each (inlineMaxBytes 0), in the same run,
 * alternating: puts per second and CPU microseconds per put (user + system, this process).
 *
 *   pnpm --filter @plz-cache/store bench:put
 *
 * Prints a table and writes bench-results/put.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactStore } from "../src/index.js";

const OUT = fileURLToPath(new URL("../bench-results/put.json", import.meta.url));
const PUTS = Number(process.env.BENCH_PUTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IN_FLIGHT = 32;

interface Sample {
  putsPerSec: number;
  cpuMicrosPerPut: number;
  systemMicrosPerPut: number;
}

async function run(inlineMaxBytes: number, size: number, fsync: boolean): Promise<Sample> {
  const dir = mkdtempSync(`${tmpdir()}/plz-store-put-`);
  const store = await ArtifactStore.open({ dir, fsync, inlineMaxBytes });
  const body = Buffer.alloc(size, 7);
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < PUTS) {
        const i = next++;
        const hash = Buffer.alloc(20);
        hash.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 0);
        const ref = { os: "linux", arch: "amd64", package: "bench", target: "t", hash, file: `f${i % 256}` };
        await store.put(ref, body, { clientAddress: "127.0.0.1:1234", hostname: "bench" });
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    putsPerSec: Math.round(PUTS / seconds),
    cpuMicrosPerPut: Number(((used.user + used.system) / PUTS).toFixed(1)),
    systemMicrosPerPut: Number((used.system / PUTS).toFixed(1)),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cases = [
  { name: "4 KiB inline", inlineMaxBytes: 32 * 1024, size: 4096, fsync: false },
  { name: "4 KiB file, no fsync", inlineMaxBytes: 0, size: 4096, fsync: false },
  { name: "4 KiB file, fsync", inlineMaxBytes: 0, size: 4096, fsync: true },
];
const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(round + k) % cases.length]!;
    samples.get(c.name)!.push(await run(c.inlineMaxBytes, c.size, c.fsync));
  }
}
const rows = cases.map((c) => {
  const s = samples.get(c.name)!;
  return {
    case: c.name,
    putsPerSec: median(s.map((x) => x.putsPerSec)),
    cpuMicrosPerPut: median(s.map((x) => x.cpuMicrosPerPut)),
    systemMicrosPerPut: median(s.map((x) => x.systemMicrosPerPut)),
  };
});
console.log(`${PUTS} puts, ${IN_FLIGHT} in flight, median of ${ROUNDS} alternating rounds`);
console.table(rows);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, puts: PUTS, rounds: ROUNDS, rows }, null, 2)}\n`,
);
console.log(`wrote ${OUT}`);
