/** Directories with nested files and symlinks survive `store` then `retrieve`, byte for byte. */
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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plzCache } from "./support/cli.js";
import { Fleet, type NodeProcess } from "./support/node-process.js";

const fleet = new Fleet();
let node: NodeProcess;
let src: string;

type Entry = { kind: "file"; bytes: Buffer } | { kind: "link"; to: string };

/** Every entry below `dir` (directories implied by their contents), by relative path. */
function snapshot(dir: string, prefix = "", out = new Map<string, Entry>()): Map<string, Entry> {
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

beforeAll(async () => {
  node = await fleet.start();
  src = fleet.tempDir("plz-cache-tree-");
  mkdirSync(join(src, "tree/sub/deeper/deepest"), { recursive: true });
  mkdirSync(join(src, "tree/with space/ünïcødé"), { recursive: true });
  writeFileSync(join(src, "tree/top.bin"), randomBytes(6 * 1024 * 1024 + 123)); // over the progress-bar threshold
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
}, 60_000);
afterAll(() => fleet.stop());

const T = ["--package", "third_party/tree", "--target", "tree"];

describe("store then retrieve", () => {
  it("round-trips a directory tree with nested files and symlinks into another directory", async () => {
    const hash = "5ca1ab1e00c0ffee";
    const stored = await plzCache([
      "--server",
      node.address,
      "store",
      "--hash",
      hash,
      ...T,
      "--root",
      src,
      "tree",
      "solo.txt",
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(/^stored 11 files /);
    const out = fleet.tempDir("plz-cache-out-");
    const got = await plzCache([
      "--server",
      node.address,
      "retrieve",
      "--hash",
      hash,
      ...T,
      "--out",
      out,
      "tree",
      "solo.txt",
    ]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^retrieved 11 files /);

    const before = snapshot(src);
    const after = snapshot(out);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, entry] of before) {
      const copy = after.get(path)!;
      expect(copy.kind, path).toBe(entry.kind);
      if (entry.kind === "file" && copy.kind === "file")
        expect(copy.bytes.equals(entry.bytes), path).toBe(true);
      if (entry.kind === "link" && copy.kind === "link") expect(copy.to, path).toBe(entry.to);
    }
    // The links were kept as links, not followed: the dangling one exists only as a link.
    expect(lstatSync(join(out, "tree/sub/deeper/dangling-abs")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(out, "tree/sub/dir-link")).isSymbolicLink()).toBe(true);
  });

  it("retrieves a subdirectory of what was stored, alone", async () => {
    const hash = "5ca1ab1e00c0ffef";
    expect(
      (await plzCache(["--server", node.address, "store", "--hash", hash, ...T, "--root", src, "tree"])).code,
    ).toBe(0);
    const out = fleet.tempDir("plz-cache-out-");
    const got = await plzCache([
      "--server",
      node.address,
      "--json",
      "retrieve",
      "--hash",
      hash,
      ...T,
      "--out",
      out,
      "tree/sub/deeper",
    ]);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).files).toEqual([
      "tree/sub/deeper/b.bin",
      "tree/sub/deeper/dangling-abs",
      "tree/sub/deeper/deepest/c",
      "tree/sub/deeper/up-link",
    ]);
    expect(
      readFileSync(join(out, "tree/sub/deeper/b.bin")).equals(
        readFileSync(join(src, "tree/sub/deeper/b.bin")),
      ),
    ).toBe(true);
  });
});
