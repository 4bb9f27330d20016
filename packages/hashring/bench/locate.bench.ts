/**
 * `locate` throughput: ours against npm `hashring@3.2.0` (a ketama ring: md5 per lookup,
 * binary search over 160 points per server, a 5000-entry LRU cache in front of `get`), in the
 * same process, over the same 100 nodes and the same 100k keys. Contenders run one after the
 * other in a rotating order, several rounds; the table reports each one's median.
 *
 *   pnpm --filter @plz-cache/hashring bench      (writes bench-results/locate.json)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import NpmHashRing from "hashring";
import { HashRing } from "../src/index.js";
import { randomKeys } from "../test/support/prng.js";

const NODES = 100;
const KEYS = 100_000;
const ROUNDS = 7;
const MIN_RUN_MS = 250;
const SEED = 0x5eed;

interface Contender {
  readonly name: string;
  readonly impl: "ours" | "hashring@3.2.0";
  readonly keys: "string" | "Uint8Array";
  readonly count: number;
  /** One pass over all keys; returns something derived from every answer. */
  readonly pass: () => number;
}

const nodes = Array.from({ length: NODES }, (_, i) => `10.0.${i >> 8}.${i & 255}:7677`);
const { bytes, strings } = randomKeys(SEED, KEYS);

const buildStart = performance.now();
const ours = new HashRing(nodes);
const oursBuildMs = performance.now() - buildStart;
const theirs = new NpmHashRing(nodes);

function oursPass(keys: readonly (string | Uint8Array)[], count: number): () => number {
  return () => {
    let sink = 0;
    for (const key of keys) sink += ours.locate(key, count).length;
    return sink;
  };
}

const contenders: Contender[] = [
  { name: "ours locate(string)", impl: "ours", keys: "string", count: 1, pass: oursPass(strings, 1) },
  { name: "ours locate(Uint8Array)", impl: "ours", keys: "Uint8Array", count: 1, pass: oursPass(bytes, 1) },
  {
    name: "hashring get(string)",
    impl: "hashring@3.2.0",
    keys: "string",
    count: 1,
    pass: () => {
      let sink = 0;
      for (const key of strings) sink += theirs.get(key).length;
      return sink;
    },
  },
  { name: "ours locate(string, 2)", impl: "ours", keys: "string", count: 2, pass: oursPass(strings, 2) },
  {
    name: "ours locate(Uint8Array, 2)",
    impl: "ours",
    keys: "Uint8Array",
    count: 2,
    pass: oursPass(bytes, 2),
  },
  {
    name: "hashring range(string, 2)",
    impl: "hashring@3.2.0",
    keys: "string",
    count: 2,
    pass: () => {
      let sink = 0;
      for (const key of strings) sink += theirs.range(key, 2).length;
      return sink;
    },
  },
  { name: "ours locate(string, 3)", impl: "ours", keys: "string", count: 3, pass: oursPass(strings, 3) },
  {
    name: "ours locate(Uint8Array, 3)",
    impl: "ours",
    keys: "Uint8Array",
    count: 3,
    pass: oursPass(bytes, 3),
  },
  {
    name: "hashring range(string, 3)",
    impl: "hashring@3.2.0",
    keys: "string",
    count: 3,
    pass: () => {
      let sink = 0;
      for (const key of strings) sink += theirs.range(key, 3).length;
      return sink;
    },
  },
];

/** Runs whole passes for at least MIN_RUN_MS; returns lookups per second. */
function measure(contender: Contender): number {
  let lookups = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    sink += contender.pass();
    lookups += KEYS;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_RUN_MS);
  if (sink < lookups) throw new Error(`${contender.name} returned fewer nodes than lookups`);
  return lookups / (elapsed / 1000);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// Warm-up: one pass each, so that every contender is optimised before timing starts.
for (const contender of contenders) contender.pass();

const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < contenders.length; k++) {
    const contender = contenders[(round + k) % contenders.length]!;
    samples.get(contender.name)!.push(measure(contender));
  }
}

const rows = contenders.map((c) => {
  const opsPerSec = median(samples.get(c.name)!);
  const baseline = median(
    samples.get(contenders.find((o) => o.impl !== "ours" && o.count === c.count)!.name)!,
  );
  return {
    name: c.name,
    impl: c.impl,
    keys: c.keys,
    count: c.count,
    opsPerSec: Math.round(opsPerSec),
    nsPerOp: Number((1e9 / opsPerSec).toFixed(1)),
    vsHashring: Number((opsPerSec / baseline).toFixed(2)),
    samples: samples.get(c.name)!.map(Math.round),
  };
});

const fmt = (n: number) => n.toLocaleString("en-US");
console.log(
  `locate: ${NODES} nodes, ${fmt(KEYS)} keys, median of ${ROUNDS} rounds (>= ${MIN_RUN_MS} ms each)`,
);
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? "unknown cpu"}, ours built in ${oursBuildMs.toFixed(0)} ms\n`,
);
console.log("| contender | count | lookups/s | ns/lookup | vs hashring |");
console.log("|---|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.count} | ${fmt(row.opsPerSec)} | ${row.nsPerOp} | ${row.vsHashring.toFixed(2)}x |`,
  );
}

/** The target: ours does at least 10x hashring's lookups per second, per count. */
const TARGET_RATIO = 10;
const worst = Math.min(...rows.filter((r) => r.impl === "ours").map((r) => r.vsHashring));
const targetMet = worst >= TARGET_RATIO;
console.log(
  `\ntarget >= ${TARGET_RATIO}x hashring on every row: ${targetMet ? "met" : "NOT MET"} (worst ${worst.toFixed(1)}x)`,
);

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, "locate.json");
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      benchmark: "locate",
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      nodes: NODES,
      keys: KEYS,
      rounds: ROUNDS,
      minRunMs: MIN_RUN_MS,
      oursBuildMs: Number(oursBuildMs.toFixed(1)),
      results: rows,
      targetRatio: TARGET_RATIO,
      worstRatio: worst,
      targetMet,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${outFile}`);
