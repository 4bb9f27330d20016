import { describe, expect, it } from "vitest";
import {
  bytes,
  captureEvents,
  closeLater,
  hashOf,
  manualClock,
  readAll,
  ref,
  tempDir,
} from "../test/helpers.js";
import { type ArtifactRef, ArtifactStore, artifactKey, type StoreOptions } from "./index.js";

/**
 * These tests look at blob files on disk, so every body goes to one (inlineMaxBytes 0);
 * inline.test.ts covers small artifacts kept in the index.
 */
async function openStore(opts: Partial<StoreOptions> = {}): Promise<ArtifactStore> {
  return closeLater(await ArtifactStore.open({ dir: tempDir(), fsync: false, inlineMaxBytes: 0, ...opts }));
}

/** Output `i`: one 100-byte file under its own hash. */
const out = (i: number): ArtifactRef => ref({ hash: hashOf(i), file: "f" });

function present(store: ArtifactStore, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => store.has(out(i)));
}

describe("clean by age", () => {
  it("removes what was not read within maxArtifactAge, counting never-read from stored-at", async () => {
    const clock = manualClock(0);
    const events = captureEvents();
    const store = await openStore({ clock, maxArtifactAgeMs: 1000, onEvent: events.onEvent });
    await store.put(out(0), bytes(100, 0)); // stored at 0, never read
    clock.now = 500;
    await store.put(out(1), bytes(100, 1)); // stored at 500, never read
    await store.put(out(2), bytes(100, 2));
    clock.now = 900;
    await store.put(out(3), bytes(100, 3));
    clock.now = 1400;
    await store.get(out(2)); // read at 1400
    clock.now = 1600; // cutoff 600
    expect(await store.clean()).toEqual({ removedFiles: 2, removedBytes: 200 });
    expect(present(store, 4)).toEqual([2, 3]);
    expect(events.events).toHaveLength(2);
    expect(events.events).toEqual(
      expect.arrayContaining([
        { type: "evicted", key: artifactKey(out(0)), size: 100, reason: "age" },
        { type: "evicted", key: artifactKey(out(1)), size: 100, reason: "age" },
      ]),
    );
    clock.now = 2300; // cutoff 1300: 3 (stored 900) goes, 2 (read 1400) stays
    expect(await store.clean()).toEqual({ removedFiles: 1, removedBytes: 100 });
    expect(present(store, 4)).toEqual([2]);
    expect(store.stats()).toMatchObject({ numFiles: 1, totalBytes: 100, evictedFiles: 3, evictedBytes: 300 });
  });

  it("keeps a whole output while any of its files is read within the age", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, maxArtifactAgeMs: 1000 });
    await store.put(ref({ file: "dir/a" }), bytes(10, 1));
    await store.put(ref({ file: "dir/b" }), bytes(10, 2));
    clock.now = 900;
    await store.get(ref({ file: "dir/b" }));
    clock.now = 1500;
    expect((await store.clean()).removedFiles).toBe(0);
    expect(await store.get(ref({ file: "dir" }))).toHaveLength(2);
  });
});

describe("clean by water marks", () => {
  it("removes least recently read outputs until at or below the low water mark", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, highWaterMark: 1000, lowWaterMark: 600 });
    for (let i = 0; i < 10; i++) {
      clock.advance(10);
      await store.put(out(i), bytes(100, i));
    }
    // Least recently read first: 1..6, 8, 9 (by store time), then 0 and 7 (read).
    clock.advance(10);
    await store.get(out(0));
    clock.advance(10);
    await store.get(out(7));
    expect(await store.clean()).toEqual({ removedFiles: 0, removedBytes: 0 }); // 1000 is not over 1000
    clock.advance(10);
    await store.put(out(10), bytes(100, 10));
    clock.advance(10);
    expect(await store.clean()).toEqual({ removedFiles: 5, removedBytes: 500 });
    expect(present(store, 11)).toEqual([0, 6, 7, 8, 9, 10]);
    expect(store.stats().totalBytes).toBe(600);
  });

  it("flushes pending last-read times before choosing what to evict", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, highWaterMark: 250, lowWaterMark: 200, lastReadFlushMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      await store.put(out(i), bytes(100, i));
    }
    clock.advance(10);
    await store.get(out(0)); // only in the in-memory batch so far
    clock.advance(10);
    expect((await store.clean()).removedFiles).toBe(1);
    expect(present(store, 3)).toEqual([0, 2]);
  });

  it("evicts the files of one output together", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, highWaterMark: 250, lowWaterMark: 250 });
    await store.put(ref({ file: "dir/a" }), bytes(100, 1));
    clock.advance(10);
    await store.put(ref({ file: "dir/b" }), bytes(100, 2));
    clock.advance(10);
    await store.put(out(5), bytes(100, 3));
    clock.advance(10);
    expect(await store.clean()).toEqual({ removedFiles: 2, removedBytes: 200 });
    expect(await store.get(ref({ file: "dir" }))).toBeNull();
    expect(store.has(out(5))).toBe(true);
  });

  it("never evicts an artifact that is being read or written", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, highWaterMark: 150, lowWaterMark: 0 });
    for (let i = 0; i < 4; i++) {
      clock.advance(10);
      await store.put(out(i), bytes(100, i));
    }
    // 0 is being streamed (not yet consumed); 1 is being overwritten by a slow writer.
    const reading = await store.openRead(out(0));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slowBody(): AsyncGenerator<Uint8Array> {
      yield bytes(50, 1);
      await gate;
      yield bytes(50, 2);
    }
    const writing = store.put(out(1), slowBody());
    clock.advance(10);
    const first = await store.clean();
    expect(first.removedFiles).toBe(2);
    expect(present(store, 4)).toEqual([0, 1]);
    release();
    await writing;
    expect((await readAll(reading!.stream)).equals(bytes(100, 0))).toBe(true);
    clock.advance(10);
    await store.clean();
    expect(present(store, 4)).toEqual([]);
    expect(store.stats()).toMatchObject({ totalBytes: 0, numFiles: 0 });
  });

  it("concurrent calls share one clean", async () => {
    const store = await openStore({ highWaterMark: 100, lowWaterMark: 0 });
    for (let i = 0; i < 5; i++) await store.put(out(i), bytes(100, i));
    const [a, b] = await Promise.all([store.clean(), store.clean()]);
    expect(a).toBe(b);
  });
});

describe("start", () => {
  it("cleans soon after a write goes over the high water mark", async () => {
    const events = captureEvents();
    const store = await openStore({
      highWaterMark: 500,
      lowWaterMark: 300,
      cleanFrequencyMs: 3_600_000,
      onEvent: events.onEvent,
    });
    store.start();
    for (let i = 0; i < 5; i++) await store.put(out(i), bytes(100, i));
    await new Promise((r) => setTimeout(r, 400));
    expect(store.stats().totalBytes).toBe(500);
    await store.put(out(5), bytes(100, 5));
    await expect.poll(() => store.stats().totalBytes, { timeout: 3000 }).toBeLessThanOrEqual(300);
    expect(events.events.filter((e) => e.type === "evicted")).toHaveLength(3);
  });

  it("cleans every cleanFrequencyMs", async () => {
    const clock = manualClock(0);
    const store = await openStore({ clock, maxArtifactAgeMs: 1000, cleanFrequencyMs: 30 });
    await store.put(out(0), bytes(10, 0));
    store.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(store.has(out(0))).toBe(true);
    clock.now = 5000;
    await expect.poll(() => store.has(out(0)), { timeout: 3000 }).toBe(false);
  });
});
