/** Shared test helpers: temp dirs removed after each test, refs, a clock, a capturing logger. */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach } from "vitest";
import type { ArtifactRef, Logger, StoreEvent } from "../src/index.js";

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "plz-store-test-"));
  dirs.push(dir);
  return dir;
}

/** Registers something to close after the test (before its dir is removed). */
export function closeLater<T extends { close(): Promise<void> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

export function hashOf(n: number, length = 20): Uint8Array {
  const h = new Uint8Array(length);
  new DataView(h.buffer).setUint32(0, n >>> 0, true);
  for (let i = 4; i < length; i++) h[i] = (n * 31 + i) & 0xff;
  return h;
}

export function ref(overrides: Partial<ArtifactRef> = {}): ArtifactRef {
  return {
    os: "linux",
    arch: "amd64",
    package: "src/core",
    target: "core",
    hash: hashOf(1),
    file: "out/lib.a",
    ...overrides,
  };
}

/** Every file below `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export interface ManualClock {
  (): number;
  now: number;
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  const clock = (() => clock.now) as ManualClock;
  clock.now = start;
  clock.advance = (ms) => {
    clock.now += ms;
  };
  return clock;
}

export interface CapturedLog {
  level: "debug" | "info" | "warn" | "error";
  obj: unknown;
  msg: string | undefined;
}

export function captureLogger(): Logger & { records: CapturedLog[] } {
  const records: CapturedLog[] = [];
  const at =
    (level: CapturedLog["level"]) =>
    (obj: object | string, msg?: string): void => {
      records.push(typeof obj === "string" ? { level, obj: {}, msg: obj } : { level, obj, msg });
    };
  return { records, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export function captureEvents(): { events: StoreEvent[]; onEvent: (e: StoreEvent) => void } {
  const events: StoreEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

export async function* chunks(body: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += size) {
    yield body.subarray(i, i + size);
    await new Promise<void>((r) => setImmediate(r));
  }
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes. */
export function bytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
