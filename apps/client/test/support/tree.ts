/** A directory tree of nested files and symlinks to round-trip, and a byte-for-byte comparison. */
import { randomBytes } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

export type Entry = { kind: "file"; bytes: Buffer } | { kind: "link"; to: string };

/** What {@link makeTree} makes: 10 entries below `tree/`, and `solo.txt` beside it. */
export const TREE_ENTRIES = 11;

/**
 * Makes, under `src`: `tree/` (nested directories, names with spaces and non-ASCII, an empty
 * file, binary files, one over the CLI's 4 MiB progress-bar threshold, and symlinks: relative,
 * to a directory, dangling absolute, pointing up) and `solo.txt`.
 */
export function makeTree(src: string): void {
  mkdirSync(join(src, "tree/sub/deeper/deepest"), { recursive: true });
  mkdirSync(join(src, "tree/with space/ünïcødé"), { recursive: true });
  writeFileSync(join(src, "tree/top.bin"), randomBytes(6 * 1024 * 1024 + 123));
  writeFileSync(join(src, "tree/empty"), "");
  writeFileSync(join(src, "tree/sub/a.txt"), "a\n");
  writeFileSync(join(src, "tree/sub/deeper/b.bin"), randomBytes(70_001));
  writeFileSync(join(src, "tree/sub/deeper/deepest/c"), Buffer.from([0, 0, 0, 255, 10, 13]));
  writeFileSync(join(src, "tree/with space/ünïcødé/file name.txt"), "naming");
  symlinkSync("sub/a.txt", join(src, "tree/rel-link"));
  symlinkSync("deeper", join(src, "tree/sub/dir-link"));
  symlinkSync("/definitely/not/here", join(src, "tree/sub/deeper/dangling-abs"));
  symlinkSync("../../top.bin", join(src, "tree/sub/deeper/up-link"));
  writeFileSync(join(src, "solo.txt"), "solo");
}

/** Every entry below `dir` (directories implied by their contents), by relative path. */
export function snapshot(dir: string, prefix = "", out = new Map<string, Entry>()): Map<string, Entry> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    const rel = `${prefix}${e.name}`;
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out.set(rel, { kind: "link", to: readlinkSync(abs) });
    else if (st.isDirectory()) snapshot(abs, `${rel}/`, out);
    else out.set(rel, { kind: "file", bytes: readFileSync(abs) });
  }
  return out;
}

/** `copy` holds exactly what `original` holds: the same paths, bytes and link destinations. */
export function expectSameTree(original: string, copy: string): void {
  const before = snapshot(original);
  const after = snapshot(copy);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [path, entry] of before) {
    const got = after.get(path)!;
    expect(got.kind, path).toBe(entry.kind);
    if (entry.kind === "file" && got.kind === "file") expect(got.bytes.equals(entry.bytes), path).toBe(true);
    if (entry.kind === "link" && got.kind === "link") expect(got.to, path).toBe(entry.to);
  }
  // The links were kept as links, not followed: the dangling one exists only as a link.
  expect(lstatSync(join(copy, "tree/sub/deeper/dangling-abs")).isSymbolicLink()).toBe(true);
  expect(lstatSync(join(copy, "tree/sub/dir-link")).isSymbolicLink()).toBe(true);
}
