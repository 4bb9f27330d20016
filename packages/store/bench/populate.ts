/**
 * Populates a store directory for benchmarks: through the public API, or through a fast path
 * (index rows in big transactions, a real but tiny blob file each) for a million artifacts.
 * Used by this package's start-up benchmark and by apps/node's.
 *
 *   tsx bench/populate.ts DIR COUNT [api|fast]
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type ArtifactRef, ArtifactStore, artifactKey, encodeHash, keyPoint } from "../src/index.js";
import { encodeTrailer } from "../src/internal/blob-format.js";
import { blobId, blobPath } from "../src/internal/blob-paths.js";
import { IndexDb, type IndexRow } from "../src/internal/index-db.js";

export function refOf(i: number): ArtifactRef {
  const hash = createHash("sha1")
    .update(`h${i >> 1}`)
    .digest();
  return {
    os: "linux",
    arch: "amd64",
    package: `src/pkg${i % 1000}`,
    target: `t${(i >> 1) % 5000}`,
    hash,
    file: `out/f${i & 1}`,
  };
}

export async function mapLimit<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export async function populateViaApi(dir: string, n: number): Promise<number> {
  const t = performance.now();
  const store = await ArtifactStore.open({ dir, fsync: false });
  await mapLimit(n, 32, async (i) => {
    await store.put(refOf(i), Buffer.from(`body of artifact ${i}`), { hostname: "bench" });
  });
  await store.close();
  return performance.now() - t;
}

/** Index rows in 50k-row transactions plus a real (tiny) blob file per artifact. */
export async function populateFast(dir: string, n: number): Promise<number> {
  const t = performance.now();
  mkdirSync(join(dir, "blobs"), { recursive: true });
  const db = new IndexDb(join(dir, "index.sqlite"));
  const made = new Set<string>();
  let batch: IndexRow[] = [];
  const storedAt = Date.now();
  for (let i = 0; i < n; i++) {
    const r = refOf(i);
    const key = artifactKey(r);
    const body = Buffer.from(`body of artifact ${i}`);
    const sha = createHash("sha256").update(body).digest();
    const hash = encodeHash(r.hash);
    const id = blobId(key);
    const path = blobPath(dir, id);
    const d = dirname(path);
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
    const trailer = encodeTrailer({
      v: 1,
      key,
      ref: { os: r.os, arch: r.arch, package: r.package, target: r.target, hash, file: r.file },
      kind: "file",
      size: body.length,
      sha256: sha.toString("hex"),
      storedAt,
      meta: { hostname: "bench" },
    });
    writeFileSync(path, Buffer.concat([body, trailer]));
    batch.push({
      key,
      target_key: `${r.os}_${r.arch}/${r.package}/${r.target}`,
      os: r.os,
      arch: r.arch,
      package: r.package,
      target: r.target,
      hash,
      file: r.file,
      blob: id,
      size: body.length,
      kind: 0,
      symlink: null,
      digest: sha,
      stored_at: storedAt,
      last_read: storedAt + (i % 10_000),
      point: keyPoint(r.hash),
      meta: '{"hostname":"bench"}',
    });
    if (batch.length === 50_000) {
      db.insertMany(batch);
      batch = [];
      process.stdout.write(`\r  populated ${i + 1}/${n}`);
    }
  }
  db.insertMany(batch);
  db.setMeta("clean_shutdown", "1");
  db.close();
  process.stdout.write("\n");
  return performance.now() - t;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const [dir, count, how = "fast"] = process.argv.slice(2);
  if (!dir || !count) {
    console.error("usage: tsx bench/populate.ts DIR COUNT [api|fast]");
    process.exit(2);
  }
  const n = Number(count);
  const ms = await (how === "api" ? populateViaApi(dir, n) : populateFast(dir, n));
  console.log(JSON.stringify({ dir, count: n, how, ms: Math.round(ms) }));
}
