import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RetrievedArtifact } from "./types.js";
import { writeFiles } from "./write-files.js";

let base: string;
let out: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "plz-cache-write-"));
  out = join(base, "out");
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const file = (name: string, body: string): RetrievedArtifact => ({ file: name, body: Buffer.from(body) });
const link = (name: string, to: string): RetrievedArtifact => ({
  file: name,
  body: Buffer.alloc(0),
  symlink: to,
});

function listAll(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listAll(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe("writeFiles", () => {
  it("writes nested files and symlinks under out, creating directories", async () => {
    const res = await writeFiles(out, [file("a/b/c.txt", "deep"), link("a/l", "b/c.txt"), file("top", "t")]);
    expect(res).toEqual({ files: ["a/b/c.txt", "a/l", "top"], bytes: 5 });
    expect(readFileSync(join(out, "a/b/c.txt"), "utf8")).toBe("deep");
    expect(lstatSync(join(out, "a/l")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, "a/l"))).toBe("b/c.txt");
    expect(readFileSync(join(out, "a/l"), "utf8")).toBe("deep");
    // No temporary files are left behind.
    expect(listAll(out).sort()).toEqual(["a/b/c.txt", "a/l", "top"]);
  });

  it("replaces existing files and symlinks in place", async () => {
    await writeFiles(out, [file("f", "old"), link("l", "f")]);
    await writeFiles(out, [file("f", "new"), link("l", "elsewhere"), file("g", "x")]);
    expect(readFileSync(join(out, "f"), "utf8")).toBe("new");
    expect(readlinkSync(join(out, "l"))).toBe("elsewhere");
  });

  it("refuses every path that would land outside out, writing nothing", async () => {
    for (const bad of ["../escape", "/abs", "a/../../escape", "a//b", "./a"]) {
      await expect(writeFiles(out, [file("ok", "x"), file(bad, "x")]), bad).rejects.toMatchObject({
        code: "UNSAFE_PATH",
      });
    }
    expect(existsSync(join(out, "ok"))).toBe(false);
    expect(existsSync(join(base, "escape"))).toBe(false);
  });

  it("refuses a file below a symlink artifact, which would write through the link", async () => {
    await expect(writeFiles(out, [link("d", base), file("d/pwned", "x")])).rejects.toMatchObject({
      code: "UNSAFE_PATH",
    });
    expect(existsSync(join(base, "pwned"))).toBe(false);
  });

  it("refuses to write through a symlink already below out", async () => {
    mkdirSync(out);
    mkdirSync(join(base, "elsewhere"));
    symlinkSync(join(base, "elsewhere"), join(out, "d"));
    await expect(writeFiles(out, [file("d/x", "x")])).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(existsSync(join(base, "elsewhere/x"))).toBe(false);
  });

  it("refuses the same path twice", async () => {
    await expect(writeFiles(out, [file("a", "1"), file("a", "2")])).rejects.toMatchObject({
      code: "UNSAFE_PATH",
    });
  });

  it("fails with IO when a file is where a directory must go", async () => {
    await writeFiles(out, [file("a", "1")]);
    await expect(writeFiles(out, [file("a/b", "2")])).rejects.toMatchObject({ code: "IO" });
  });

  it("creates a missing output directory and its parents, and follows an --out that is a symlink to a directory", async () => {
    const deep = join(out, "x/y/z");
    await writeFiles(deep, [file("f", "1")]);
    expect(readFileSync(join(deep, "f"), "utf8")).toBe("1");
    symlinkSync(deep, join(base, "via-link"));
    await writeFiles(join(base, "via-link"), [file("g", "2")]);
    expect(readFileSync(join(deep, "g"), "utf8")).toBe("2");
  });

  it("fails with IO, writing nothing, when the output directory cannot be made", async () => {
    writeFileSync(join(base, "plain"), "");
    await expect(writeFiles(join(base, "plain"), [file("f", "1")])).rejects.toMatchObject({
      code: "IO",
      message: `cannot create the output directory ${join(base, "plain")}: a file is in the way`,
    });
    await expect(writeFiles(join(base, "plain/sub"), [file("f", "1")])).rejects.toMatchObject({
      code: "IO",
      message: `cannot create the output directory ${join(base, "plain/sub")}: not a directory (ENOTDIR)`,
    });
    symlinkSync(join(base, "nowhere"), join(base, "dangling"));
    await expect(writeFiles(join(base, "dangling"), [file("f", "1")])).rejects.toMatchObject({ code: "IO" });
    expect(existsSync(join(base, "nowhere"))).toBe(false);
  });

  it("fails, rather than loops, where the kernel answers ENOENT under an existing directory", async () => {
    // Node 20's mkdir(..., { recursive: true }) never settles for such a path.
    await expect(writeFiles("/proc/plz-cache-test/out", [file("f", "1")])).rejects.toMatchObject({
      code: "IO",
      message: expect.stringMatching(/^cannot create the output directory \/proc\/plz-cache-test/),
    });
  }, 5_000);

  it("writes files with the mode asked for", async () => {
    await writeFiles(out, [file("x", "1")], { fileMode: 0o700 });
    expect(lstatSync(join(out, "x")).mode & 0o700).toBe(0o700);
  });
});
