import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { IndexRow } from "./index-db.js";
import { ReadCache } from "./read-cache.js";

function row(key: string, body: Buffer, storedAt = 1, blob = "b1"): IndexRow {
  return {
    key,
    target_key: "t",
    os: "linux",
    arch: "amd64",
    package: "p",
    target: "t",
    hash: "h",
    file: "f",
    blob: Buffer.from(blob),
    size: body.length,
    kind: 0,
    symlink: null,
    digest: createHash("sha256").update(body).digest(),
    stored_at: storedAt,
    last_read: storedAt,
    point: 0,
    meta: null,
  };
}

describe("ReadCache", () => {
  it("serves a body only for the exact version it was read at", () => {
    const c = new ReadCache(1 << 20);
    const v1 = Buffer.from("version one");
    c.put(row("k", v1), v1);
    expect(c.get(row("k", v1))?.toString()).toBe("version one");
    // Overwritten: a new stored-at time, blob or digest never matches the old entry.
    const v2 = Buffer.from("version two");
    expect(c.get(row("k", v2, 2))).toBeUndefined();
    expect(c.get(row("k", v1, 2))).toBeUndefined();
    expect(c.get(row("k", v1, 1, "b2"))).toBeUndefined();
  });

  it("never returns bytes that no longer match the digest", () => {
    const c = new ReadCache(1 << 20);
    const body = Buffer.from("precious bytes");
    c.put(row("k", body), body);
    const served = c.get(row("k", body))!;
    served[0] = 0x21; // corrupt the cached copy in memory
    expect(c.get(row("k", body))).toBeUndefined();
    expect(c.bytes).toBe(0);
  });

  it("keeps within its capacity, least recently used out first, and skips big bodies", () => {
    const c = new ReadCache(30);
    const a = Buffer.alloc(10, 1);
    const b = Buffer.alloc(10, 2);
    const d = Buffer.alloc(10, 3);
    const e = Buffer.alloc(10, 4);
    c.put(row("a", a), a);
    c.put(row("b", b), b);
    c.put(row("d", d), d);
    expect(c.get(row("a", a))).toBeDefined(); // a is now the most recent
    c.put(row("e", e), e);
    expect(c.bytes).toBe(30);
    expect(c.get(row("b", b))).toBeUndefined();
    expect(c.get(row("a", a))).toBeDefined();
    const big = Buffer.alloc(300 * 1024);
    const r = new ReadCache(1 << 30);
    r.put(row("big", big), big);
    expect(r.bytes).toBe(0);
  });
});
