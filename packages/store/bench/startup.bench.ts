import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ArtifactRef, ArtifactStore } from "../src/index.js";
import { mapLimit, populateFast, populateViaApi, refOf } from "./populate.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const OUT = fileURLToPath(new URL("../bench-results/startup.json", import.meta.url));
const BASE = process.env.STORE_BENCH_DIR ?? tmpdir();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function dropCaches(): boolean {
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}

interface OpenResult {
  artifacts: number;
  populate: string;
  populateMs: number;
  indexBytes: number;
  openWarmMs: number[];
  openColdMs: number | null;
  rssAfterOpenMiB: number;
}

async function measureOpen(
  dir: string,
  artifacts: number,
  populate: string,
  populateMs: number,
): Promise<OpenResult> {
  const warm: number[] = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const store = await ArtifactStore.open({ dir });
    warm.push(performance.now() - t);
    if (store.stats().numFiles !== artifacts)
      throw new Error(`expected ${artifacts}, got ${store.stats().numFiles}`);
    // Sanity: a few artifacts are really served.
    for (const k of [0, artifacts >> 1, artifacts - 1]) {
      const got = await store.get(refOf(k));
      if (!got) throw new Error(`artifact ${k} not served`);
    }
    rss = process.memoryUsage().rss / MiB;
    await store.close();
  }
  let cold: number | null = null;
  if (dropCaches()) {
    const t = performance.now();
    const store = await ArtifactStore.open({ dir });
    cold = performance.now() - t;
    await store.close();
  }
  return {
    artifacts,
    populate,
    populateMs,
    indexBytes: statSync(join(dir, "index.sqlite")).size,
    openWarmMs: warm,
    openColdMs: cold,
    rssAfterOpenMiB: Math.round(rss),
  };
}

interface Throughput {
  case: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  MiBPerSec: number;
}

async function throughput(dir: string): Promise<Throughput[]> {
  const results: Throughput[] = [];
  const run = async (
    name: string,
    ops: number,
    size: number,
    concurrency: number,
    fn: (i: number) => Promise<unknown>,
  ) => {
    const t = performance.now();
    await mapLimit(ops, concurrency, fn);
    const seconds = (performance.now() - t) / 1000;
    results.push({
      case: name,
      ops,
      seconds: Number(seconds.toFixed(3)),
      opsPerSec: Math.round(ops / seconds),
      MiBPerSec: Number(((ops * size) / MiB / seconds).toFixed(1)),
    });
  };
  const small = Buffer.alloc(4 * KiB, 7);
  const big = Buffer.alloc(16 * MiB);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, i);
  const r = (tag: string, i: number): ArtifactRef => ({ ...refOf(i), target: tag });
  for (const fsync of [true, false]) {
    const store = await ArtifactStore.open({ dir: join(dir, `tp-${fsync}`), fsync });
    const f = fsync ? "fsync" : "no fsync";
    await run(`put 4 KiB (${f}, 16 in flight)`, 4000, small.length, 16, (i) =>
      store.put(r("small", i), small),
    );
    await run(`get 4 KiB (16 in flight)`, 4000, small.length, 16, (i) => store.get(r("small", i)));
    await run(`put 16 MiB (${f}, 2 in flight)`, 24, big.length, 2, (i) => store.put(r("big", i), big));
    await run(`get 16 MiB buffered (2 in flight)`, 24, big.length, 2, (i) => store.get(r("big", i)));
    await run(`openRead 16 MiB streamed (2 in flight)`, 24, big.length, 2, async (i) => {
      const o = await store.openRead(r("big", i));
      for await (const _ of o!.stream) {
        // drain
      }
    });
    await store.close();
  }
  return results;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(BASE, "plz-store-bench-"));
  const opens: OpenResult[] = [];
  try {
    console.log(`bench dir: ${root}`);
    console.log("populating 100,000 artifacts through the public API (fsync off)…");
    const d100k = join(root, "100k");
    opens.push(await measureOpen(d100k, 100_000, "public API", await populateViaApi(d100k, 100_000)));
    rmSync(d100k, { recursive: true, force: true });
    if (process.env.STORE_BENCH_1M === "1") {
      console.log("populating 1,000,000 artifacts through the fast path…");
      const d1m = join(root, "1m");
      opens.push(await measureOpen(d1m, 1_000_000, "fast path", await populateFast(d1m, 1_000_000)));
      rmSync(d1m, { recursive: true, force: true });
    } else {
      console.log("(set STORE_BENCH_1M=1 for the 1,000,000-artifact case)");
    }
    console.log("measuring put/get throughput…");
    const tp = await throughput(root);

    console.log("\nArtifactStore.open");
    console.table(
      opens.map((o) => ({
        artifacts: o.artifacts.toLocaleString("en"),
        populated: `${o.populate}, ${(o.populateMs / 1000).toFixed(1)} s`,
        "index MiB": (o.indexBytes / MiB).toFixed(0),
        "open warm ms (median of 3)": median(o.openWarmMs).toFixed(0),
        "open cold ms": o.openColdMs === null ? "n/a (cannot drop caches)" : o.openColdMs.toFixed(0),
        "RSS MiB": o.rssAfterOpenMiB,
      })),
    );
    console.log("\nthroughput");
    console.table(tp);
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(
      OUT,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, open: opens, throughput: tp }, null, 2)}\n`,
    );
    console.log(`\nwrote ${OUT}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
