/** Directories with nested files and symlinks survive `store` then `retrieve`, byte for byte. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plzCache } from "./support/cli.js";
import { Fleet, type NodeProcess } from "./support/node-process.js";
import { expectSameTree, makeTree, TREE_ENTRIES } from "./support/tree.js";

const fleet = new Fleet();
let node: NodeProcess;
let src: string;

beforeAll(async () => {
  node = await fleet.start();
  src = fleet.tempDir("plz-cache-tree-");
  makeTree(src);
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
    expect(stored.stdout).toMatch(new RegExp(`^stored ${TREE_ENTRIES} files `));
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
    expect(got.stdout).toMatch(new RegExp(`^retrieved ${TREE_ENTRIES} files `));

    expectSameTree(src, out);
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
