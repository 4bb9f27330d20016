/**
 * The placement figures quoted in the README: balance, movement on join and leave, replica-set
 * churn, and weights, over 100k random keys, for the tests' seed and for 20 more seeds (mean and
 * worst), plus the cost of membership changes.
 *
 *   pnpm --filter @plz-cache/hashring bench:placement      (writes bench-results/placement.json)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HashRing } from "../src/index.js";
import { randomKeys } from "../test/support/prng.js";

const KEYS = 100_000;
const TEST_SEED = 0xc0ffee;
const EXTRA_SEEDS = 20;

interface Figures {
  /** max / mean primary load, 10 equal nodes. */
  balance10: number;
  /** min / mean primary load, 10 equal nodes. */
  minLoad10: number;
  /** Fraction of primaries that move when an 11th node joins, in units of 1/11. */
  joinMovedPer1of11: number;
  /** Fraction of keys whose primary moves between two old nodes on that join. */
  joinBetweenOld: number;
  /** Fraction of keys whose count=2 replica set changes on that join, in units of 2/11. */
  join2SetPer2of11: number;
  /** Fraction of keys whose count=3 replica set changes on that join, in units of 3/11. */
  join3SetPer3of11: number;
  /** Fraction of primaries that move when one of 11 nodes leaves, in units of its own share. */
  leaveMovedPerOwnShare: number;
  /** Keys that move on that leave although they were not on the leaving node. */
  leaveMovedOthers: number;
  /** Keys of a weight-2 node / mean keys of 5 weight-1 nodes. */
  weight2Ratio: number;
}

/** `prefix` "node" with TEST_SEED reproduces the scenarios of `elastic-ring.test.ts` exactly. */
function measure(seed: number, prefix: string): Figures {
  const { strings: keys } = randomKeys(seed, KEYS);
  const names = Array.from({ length: 11 }, (_, i) => `${prefix}-${i}`);
  const ten = names.slice(0, 10);
  const ring = new HashRing(ten);
  const before = keys.map((key) => ring.locate(key, 3));
  const counts = new Map<string, number>();
  for (const placement of before) counts.set(placement[0]!, (counts.get(placement[0]!) ?? 0) + 1);
  const mean = KEYS / 10;

  ring.add(names[10]!);
  let moved = 0;
  let betweenOld = 0;
  let set2 = 0;
  let set3 = 0;
  const after = keys.map((key) => ring.locate(key, 3));
  after.forEach((now, i) => {
    const old = before[i]!;
    if (now[0] !== old[0]) {
      moved += 1;
      if (now[0] !== names[10]) betweenOld += 1;
    }
    if (!now.slice(0, 2).every((node) => old.slice(0, 2).includes(node))) set2 += 1;
    if (!now.every((node) => old.includes(node))) set3 += 1;
  });

  const leaving = names[3]!;
  const own = after.filter((placement) => placement[0] === leaving).length;
  ring.remove(leaving);
  let leaveMoved = 0;
  let leaveOthers = 0;
  keys.forEach((key, i) => {
    const now = ring.locate(key)[0];
    if (now === after[i]![0]) return;
    leaveMoved += 1;
    if (after[i]![0] !== leaving) leaveOthers += 1;
  });

  const weighted = new HashRing([...names.slice(0, 5), { node: "heavy", weight: 2 }]);
  const wCounts = new Map<string, number>();
  for (const key of keys) {
    const owner = weighted.locate(key)[0]!;
    wCounts.set(owner, (wCounts.get(owner) ?? 0) + 1);
  }
  const light = names.slice(0, 5).map((node) => wCounts.get(node) ?? 0);

  return {
    balance10: Math.max(...counts.values()) / mean,
    minLoad10: Math.min(...counts.values()) / mean,
    joinMovedPer1of11: (moved / KEYS) * 11,
    joinBetweenOld: betweenOld / KEYS,
    join2SetPer2of11: ((set2 / KEYS) * 11) / 2,
    join3SetPer3of11: ((set3 / KEYS) * 11) / 3,
    leaveMovedPerOwnShare: leaveMoved / own,
    leaveMovedOthers: leaveOthers,
    weight2Ratio: (wCounts.get("heavy") ?? 0) / (light.reduce((a, b) => a + b, 0) / light.length),
  };
}

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const test = measure(TEST_SEED, "node");
const extra = Array.from({ length: EXTRA_SEEDS }, (_, i) => measure(1000 + i, `seed${1000 + i}-node`));
const fields = Object.keys(test) as (keyof Figures)[];
// For each figure, "worst" is the value farthest from its ideal.
const ideal: Record<keyof Figures, number> = {
  balance10: 1,
  minLoad10: 1,
  joinMovedPer1of11: 1,
  joinBetweenOld: 0,
  join2SetPer2of11: 1,
  join3SetPer3of11: 1,
  leaveMovedPerOwnShare: 1,
  leaveMovedOthers: 0,
  weight2Ratio: 2,
};

const summary = fields.map((field) => {
  const values = extra.map((figures) => figures[field]);
  const worst = values.reduce((w, v) => (Math.abs(v - ideal[field]) > Math.abs(w - ideal[field]) ? v : w));
  return {
    figure: field,
    testSeed: test[field],
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    worst,
  };
});

const nodes100 = Array.from({ length: 100 }, (_, i) => `10.0.0.${i}:7677`);
let ring100 = new HashRing();
const build100 = timeMs(() => {
  ring100 = new HashRing(nodes100);
});
const add101 = timeMs(() => ring100.add("10.0.1.0:7677"));
const remove101 = timeMs(() => ring100.remove("10.0.1.0:7677"));
const removeOne = timeMs(() => ring100.remove("10.0.0.50:7677"));

console.log(
  `placement over ${KEYS.toLocaleString("en-US")} keys: test seed, and mean / worst of ${EXTRA_SEEDS} more seeds\n`,
);
console.log("| figure | test seed | mean | worst |");
console.log("|---|---:|---:|---:|");
for (const row of summary) {
  console.log(
    `| ${row.figure} | ${row.testSeed.toFixed(4)} | ${row.mean.toFixed(4)} | ${row.worst.toFixed(4)} |`,
  );
}
console.log(
  `\nmembership cost, ${ring100.bucketCount} buckets: build 100 nodes ${build100.toFixed(0)} ms, add a 101st ${add101.toFixed(1)} ms, ` +
    `remove it ${remove101.toFixed(1)} ms, remove one of 100 ${removeOne.toFixed(1)} ms`,
);

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "placement.json"),
  `${JSON.stringify({ keys: KEYS, testSeed: TEST_SEED, extraSeeds: EXTRA_SEEDS, summary, membershipMs: { build100, add101, remove101, removeOne } }, null, 2)}\n`,
);
