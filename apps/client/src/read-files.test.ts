import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFiles } from "./read-files.js";
import type { TransferProgress } from "./types.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "plz-cache-read-"));
  mkdirSync(join(root, "out/sub/deeper"), { recursive: true });
  mkdirSync(join(root, "out/empty"));
  writeFileSync(join(root, "out/a.txt"), "a");
  writeFileSync(join(root, "out/sub/b.bin"), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(root, "out/sub/deeper/c"), "");
  symlinkSync("a.txt", join(root, "out/link"));
  symlinkSync("/nonexistent/target", join(root, "out/sub/dangling"));
  symlinkSync("sub", join(root, "out/dirlink"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("readFiles", () => {
  it("reads directories recursively under their relative names, keeping symlinks as symlinks", async () => {
    const { artifacts, bytes } = await readFiles(root, ["out"]);
    expect(artifacts.map((a) => a.file)).toEqual([
      "out/a.txt",
      "out/dirlink",
      "out/link",
      "out/sub/b.bin",
      "out/sub/dangling",
      "out/sub/deeper/c",
    ]);
    const byName = new Map(artifacts.map((a) => [a.file, a]));
    expect(byName.get("out/link")).toEqual({ file: "out/link", symlink: "a.txt" });
    expect(byName.get("out/dirlink")).toEqual({ file: "out/dirlink", symlink: "sub" });
    expect(byName.get("out/sub/dangling")).toEqual({
      file: "out/sub/dangling",
      symlink: "/nonexistent/target",
    });
    expect(Buffer.from(byName.get("out/sub/b.bin")!.body!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(bytes).toBe(5);
  });

  it("stores a file named twice, or inside a directory also named, once", async () => {
    const { artifacts } = await readFiles(root, ["out/sub", "out/sub/b.bin", "./out/sub/b.bin"]);
    expect(artifacts.map((a) => a.file)).toEqual(["out/sub/b.bin", "out/sub/dangling", "out/sub/deeper/c"]);
  });

  it("stores a symlink named directly as a symlink, without following it", async () => {
    const { artifacts } = await readFiles(root, ["out/dirlink"]);
    expect(artifacts).toEqual([{ file: "out/dirlink", symlink: "sub" }]);
  });

  it("refuses names outside the root as INVALID", async () => {
    await expect(readFiles(root, ["../x"])).rejects.toMatchObject({ code: "INVALID" });
    await expect(readFiles(root, ["/etc/passwd"])).rejects.toMatchObject({ code: "INVALID" });
    await expect(readFiles(root, [])).rejects.toMatchObject({ code: "INVALID" });
  });

  it("fails with IO for names that do not exist, cannot be read, or are not files", async () => {
    await expect(readFiles(root, ["missing"])).rejects.toMatchObject({
      code: "IO",
      message: `no such file or directory: missing (under ${root})`,
    });
    // A root that is a file: every name below it is unreadable (ENOTDIR, whoever runs the test).
    await expect(readFiles(join(root, "out/a.txt"), ["x"])).rejects.toMatchObject({
      code: "IO",
      message: `cannot read ${join(root, "out/a.txt/x")}: not a directory (ENOTDIR)`,
    });
    execFileSync("mkfifo", [join(root, "out/fifo")]);
    await expect(readFiles(root, ["out"])).rejects.toMatchObject({
      code: "IO",
      message: `cannot read ${join(root, "out/fifo")}: it is not a regular file, directory or symlink`,
    });
  });

  it("reports read progress up to the total", async () => {
    const seen: TransferProgress[] = [];
    await readFiles(root, ["out"], (p) => seen.push(p));
    expect(seen[0]).toEqual({ phase: "read", bytes: 0, totalBytes: 5 });
    expect(seen.at(-1)).toEqual({ phase: "read", bytes: 5, totalBytes: 5 });
  });
});
