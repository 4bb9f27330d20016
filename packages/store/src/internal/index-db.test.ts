import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closeLater, tempDir } from "../../test/helpers.js";
import { encodeHash } from "../keys.js";
import { blobId } from "./blob-paths.js";
import { IndexDb, type IndexRow } from "./index-db.js";

function row(i: number, point: number): IndexRow {
  const hash = new Uint8Array(8);
  new DataView(hash.buffer).setUint32(0, point, true);
  const h = encodeHash(hash);
  const key = `linux_amd64/p/t${i % 17}/${h}/f${i}`;
  return {
    key,
    target_key: `linux_amd64/p/t${i % 17}`,
    os: "linux",
    arch: "amd64",
    package: "p",
    target: `t${i % 17}`,
    hash: h,
    file: `f${i}`,
    blob: blobId(key),
    size: i,
    kind: 0,
    symlink: null,
    digest: Buffer.alloc(32),
    stored_at: i,
    last_read: i,
    point,
    meta: null,
  };
}

describe("IndexDb.scanRange", () => {
  it("gives the same pages from the point-index plan and the key-index plan", () => {
    const db = new IndexDb(join(tempDir(), "index.sqlite"));
    closeLater({ close: async () => db.close() });
    let x = 12345;
    const rows: IndexRow[] = [];
    for (let i = 0; i < 3000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      rows.push(row(i, i % 100 === 0 ? 0xffffffff : x));
    }
    db.insertMany(rows);
    const page = (begin: number, end: number, limit: number, narrow: boolean): string[] => {
      const keys: string[] = [];
      let after = "";
      for (;;) {
        const got = db.scanRange(begin, end, after, limit, narrow);
        keys.push(...got.map((r) => r.key));
        if (got.length < limit) return keys;
        after = got.at(-1)!.key;
      }
    };
    for (const [begin, end] of [
      [0, 2 ** 32],
      [0, 2 ** 31],
      [0xffffffff, 2 ** 32],
      [123_456_789, 987_654_321],
      [5, 6],
    ] as const) {
      const expected = rows
        .filter((r) => r.point >= begin && r.point < end)
        .map((r) => r.key)
        .sort();
      for (const limit of [1, 7, 500, 5000]) {
        if (limit === 1 && expected.length > 400) continue;
        expect(page(begin, end, limit, true)).toEqual(expected);
        expect(page(begin, end, limit, false)).toEqual(expected);
      }
    }
  });

  it("keeps totals and pending entries", () => {
    const db = new IndexDb(join(tempDir(), "index.sqlite"));
    closeLater({ close: async () => db.close() });
    db.insertMany([row(1, 1), row(2, 2)]);
    expect(db.totals()).toEqual({ numFiles: 2, totalBytes: 3 });
    db.addPending("k", Buffer.alloc(32, 1), 5);
    expect(db.allPending()).toEqual([{ key: "k", blob: Buffer.alloc(32, 1), started_at: 5 }]);
    expect(db.commit({ ...row(1, 1), key: "k" })).toBeNull();
    expect(db.allPending()).toEqual([]);
    expect(db.delete("k")).toBe(1);
    expect(db.delete("k")).toBeNull();
  });
});
