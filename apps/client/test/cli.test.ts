/** Every CLI command against one real, unclustered plz-cache-node, run as child processes. */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheClient } from "../src/cache-client.js";
import { type CliResult, hasStackTrace, json, plzCache } from "./support/cli.js";
import { Fleet, type NodeProcess } from "./support/node-process.js";

const fleet = new Fleet();
let node: NodeProcess;
let work: string;

beforeAll(async () => {
  node = await fleet.start();
  work = fleet.tempDir("plz-cache-cli-");
  mkdirSync(join(work, "src/dir"), { recursive: true });
  writeFileSync(join(work, "src/a.txt"), "alpha");
  writeFileSync(join(work, "src/dir/b.txt"), "beta");
});
afterAll(() => fleet.stop());

function cli(...args: string[]): Promise<CliResult> {
  return plzCache(["--server", node.address, ...args]);
}

const T = ["--package", "pkg/sub", "--target", "t"];

describe("plz-cache against an unclustered node", () => {
  it("nodes: prints no node and says the server is not clustered", async () => {
    const text = await cli("nodes");
    expect(text).toMatchObject({ code: 0, stdout: "" });
    expect(text.stderr).toContain("is not clustered");
    const j = await cli("--json", "nodes");
    expect(j.code).toBe(0);
    expect(json(j)).toEqual({ server: node.address, clustered: false, nodes: [] });
  });

  it("store then retrieve: writes the files under --out", async () => {
    const hash = "0a0b0c0d0e0f";
    const stored = await cli("store", "--hash", hash, ...T, "--root", join(work, "src"), "a.txt", "dir");
    expect(stored).toMatchObject({ code: 0, stderr: "" });
    expect(stored.stdout).toBe("stored 2 files (9 B) for //pkg/sub:t\n");
    const out = join(work, "out1");
    const got = await cli("--json", "retrieve", "--hash", hash, ...T, "--out", out, "a.txt", "dir");
    expect(got.code).toBe(0);
    expect(json(got)).toMatchObject({
      hit: true,
      target: "//pkg/sub:t",
      files: ["a.txt", "dir/b.txt"],
      bytes: 9,
    });
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("alpha");
    expect(readFileSync(join(out, "dir/b.txt"), "utf8")).toBe("beta");
  });

  it("store --json and retrieve resolve FILEs against --root and --out relative to the working directory", async () => {
    const stored = await plzCache(
      ["--server", node.address, "--json", "store", "--hash", "01020304", ...T, "--root", "src", "a.txt"],
      { cwd: work },
    );
    expect(stored.code).toBe(0);
    expect(json(stored)).toEqual({
      stored: true,
      target: "//pkg/sub:t",
      hash: "01020304",
      files: ["a.txt"],
      bytes: 5,
    });
    const got = await plzCache(["--server", node.address, "retrieve", "--hash", "01020304", ...T, "a.txt"], {
      cwd: join(work, "src/dir"),
    });
    expect(got).toMatchObject({ code: 0, stdout: "retrieved 1 file (5 B) into .\n" });
    expect(readFileSync(join(work, "src/dir/a.txt"), "utf8")).toBe("alpha");
  });

  it("retrieve: exits 1 on a miss, and on a partial miss writes nothing", async () => {
    const miss = await cli("retrieve", "--hash", "ffffffff00", ...T, "--out", join(work, "miss"), "a.txt");
    expect(miss).toMatchObject({ code: 1, stdout: "" });
    expect(miss.stderr).toMatch(
      /^plz-cache retrieve: miss: \/\/pkg\/sub:t has no a\.txt under hash ffffffff00\n$/,
    );
    const jsonMiss = await cli("--json", "retrieve", "--hash", "ffffffff00", ...T, "a.txt");
    expect(jsonMiss.code).toBe(1);
    expect(json(jsonMiss)).toEqual({ hit: false, target: "//pkg/sub:t", hash: "ffffffff00" });
    const out = join(work, "partial");
    const partial = await cli(
      "retrieve",
      "--hash",
      "0a0b0c0d0e0f",
      ...T,
      "--out",
      out,
      "a.txt",
      "not-stored",
    );
    expect(partial.code).toBe(1);
    expect(() => readFileSync(join(out, "a.txt"))).toThrow();
  });

  it("--os and --arch choose the platform, defaulting to the running one in plz's naming", async () => {
    const root = join(work, "src");
    expect(
      (
        await cli(
          "store",
          "--hash",
          "aabbccdd",
          ...T,
          "--os",
          "darwin",
          "--arch",
          "arm64",
          "--root",
          root,
          "a.txt",
        )
      ).code,
    ).toBe(0);
    expect((await cli("retrieve", "--hash", "aabbccdd", ...T, "--out", join(work, "p1"), "a.txt")).code).toBe(
      1,
    );
    const hit = await cli(
      "retrieve",
      "--hash",
      "aabbccdd",
      ...T,
      "--os",
      "darwin",
      "--arch",
      "arm64",
      "--out",
      join(work, "p2"),
      "a.txt",
    );
    expect(hit.code).toBe(0);
    // The default platform is the running one, named as plz names it (x64 -> amd64).
    expect((await cli("store", "--hash", "aabbccee", ...T, "--root", root, "a.txt")).code).toBe(0);
    const client = new CacheClient(node.address);
    try {
      const arch =
        ({ x64: "amd64", arm64: "arm64", ia32: "386" } as Record<string, string>)[process.arch] ??
        process.arch;
      const os = process.platform === "win32" ? "windows" : process.platform;
      const got = await client.retrieve(
        { package: "pkg/sub", target: "t", os, arch },
        Buffer.from("aabbccee", "hex"),
        ["a.txt"],
      );
      expect(got?.[0]?.body.toString()).toBe("alpha");
    } finally {
      await client.close();
    }
  });

  it("delete: removes every hash of the target; delete --everything empties the cache", async () => {
    const root = join(work, "src");
    for (const h of ["11111111", "22222222"])
      expect((await cli("store", "--hash", h, ...T, "--root", root, "a.txt")).code).toBe(0);
    expect(
      (
        await cli(
          "store",
          "--hash",
          "33333333",
          "--package",
          "other",
          "--target",
          "o",
          "--root",
          root,
          "a.txt",
        )
      ).code,
    ).toBe(0);
    const del = await cli("delete", ...T);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/^deleted \/\/pkg\/sub:t \(\w+_\w+\)\n$/);
    for (const h of ["11111111", "22222222"]) {
      expect((await cli("retrieve", "--hash", h, ...T, "--out", join(work, "gone"), "a.txt")).code).toBe(1);
    }
    const other = ["--package", "other", "--target", "o", "--out", join(work, "other"), "a.txt"];
    expect((await cli("retrieve", "--hash", "33333333", ...other)).code).toBe(0);
    const all = await cli("--json", "delete", "--everything");
    expect(all.code).toBe(0);
    expect(json(all)).toEqual({ deleted: "everything" });
    expect((await cli("retrieve", "--hash", "33333333", ...other)).code).toBe(1);
  });

  it("bench: runs a bounded mix of stores and retrieves and reports throughput and latency", async () => {
    const j = await cli(
      "--json",
      "bench",
      "--count",
      "120",
      "--duration",
      "20s",
      "--concurrency",
      "4",
      "--size",
      "1K,8K",
    );
    expect(j.code, j.stderr).toBe(0);
    const report = json<{
      total: {
        ops: number;
        errors: number;
        opsPerSec: number;
        mbPerSec: number;
        latencyMs: Record<string, number>;
      };
      store: { ops: number };
      retrieve: { ops: number; misses: number };
    }>(j);
    expect(report.total.ops).toBe(120);
    expect(report.total.errors).toBe(0);
    expect(report.store.ops).toBeGreaterThan(0);
    expect(report.retrieve.ops).toBeGreaterThan(0);
    expect(report.retrieve.misses).toBe(0);
    expect(report.total.opsPerSec).toBeGreaterThan(0);
    expect(report.total.mbPerSec).toBeGreaterThan(0);
    const l = report.total.latencyMs;
    expect(l.p50!).toBeLessThanOrEqual(l.p90!);
    expect(l.p90!).toBeLessThanOrEqual(l.p99!);
    expect(l.p99!).toBeLessThanOrEqual(l.max!);

    const text = await cli(
      "bench",
      "--count",
      "1000000",
      "--duration",
      "1s",
      "--concurrency",
      "2",
      "--size",
      "512",
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^bench against 127\.0\.0\.1:\d+ \(unclustered\): \d+ ops in 1\.\d\d s/);
    expect(text.stdout).toMatch(
      /op\s+ops\s+ops\/s\s+MB\/s\s+p50 ms\s+p90 ms\s+p99 ms\s+max ms\s+errors\s+misses/,
    );
    expect(text.stdout).toMatch(/\nall\s+\d+/);
  });
});

describe("message size", () => {
  it("refuses a store over 200 MiB before sending it, with exit 3 and a clear line", async () => {
    const dir = fleet.tempDir("plz-cache-big-");
    const big = join(dir, "big.bin");
    writeFileSync(big, "");
    truncateSync(big, 200 * 1024 * 1024 + 1); // sparse: instant to make
    const r = await cli("store", "--hash", "b16b16b16b", ...T, "--root", dir, "big.bin");
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /^plz-cache store: store \/\/pkg\/sub:t: the request is \d+ bytes, over the 209715200-byte message limit\n$/,
    );
  });
});

describe("usage errors exit 2 with a message and the usage line", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing --hash", ["store", ...T, "a.txt"], /required option '--hash <hex>' not specified/],
    [
      "a hash that is not hex",
      ["retrieve", "--hash", "xyz12345", ...T, "a"],
      /argument 'xyz12345' is invalid/,
    ],
    ["a hash under 4 bytes", ["retrieve", "--hash", "0011", ...T, "a"], /at least 4 bytes/],
    ["no FILE", ["store", "--hash", "00112233", ...T], /missing required argument 'FILE'/],
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["an unknown option", ["nodes", "--frob"], /unknown option '--frob'/],
    ["a bad --timeout", ["--timeout", "soon", "nodes"], /'--timeout <duration>' argument 'soon' is invalid/],
    ["delete without a target", ["delete"], /name a target with --package and --target, or use --everything/],
    ["delete --everything with a target", ["delete", "--everything", ...T], /cannot be combined/],
    ["--cert without --key", ["--cert", "/dev/null", "nodes"], /--cert and --key go together/],
    [
      "a FILE outside --root",
      ["store", "--hash", "00112233", ...T, "../etc/passwd"],
      /outside the root directory/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`for ${what}`, async () => {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^plz-cache[ :]/);
      expect(r.stderr).toMatch(/\nUsage: plz-cache( \w+)? \[options\]/);
      expect(hasStackTrace(r)).toBe(false);
    });
  }

  it("--help exits 0 and lists every command", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["nodes", "store", "retrieve", "delete", "bench"]) expect(r.stdout).toContain(c);
  });
});

describe("a local file that cannot be used exits 2 with one line, and no usage line", () => {
  /** Exit 2, nothing on stdout, and exactly `line` on stderr. */
  function expectLocal(r: CliResult, line: string): void {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\n`);
  }
  const HASH = "1f2e3d4c5b";

  beforeAll(async () => {
    expect((await cli("store", "--hash", HASH, ...T, "--root", join(work, "src"), "dir")).code).toBe(0);
    writeFileSync(join(work, "plain-file"), "not a directory");
    execFileSync("mkfifo", [join(work, "src/fifo")]);
  });

  it("for a FILE that does not exist under --root", async () => {
    const root = join(work, "src");
    expectLocal(
      await cli("store", "--hash", "00112233", ...T, "--root", root, "no-such-file-here"),
      `plz-cache store: no such file or directory: no-such-file-here (under ${root})`,
    );
  });

  it("for a FILE that cannot be read, or is not a file, directory or symlink", async () => {
    const file = join(work, "plain-file");
    expectLocal(
      await cli("store", "--hash", "00112233", ...T, "--root", file, "x"),
      `plz-cache store: cannot read ${file}/x: not a directory (ENOTDIR)`,
    );
    const fifo = join(work, "src/fifo");
    expectLocal(
      await cli("store", "--hash", "00112233", ...T, "--root", join(work, "src"), "fifo"),
      `plz-cache store: cannot read ${fifo}: it is not a regular file, directory or symlink`,
    );
  });

  it("for an unreadable --ca_cert", async () => {
    expectLocal(
      await cli("--ca_cert", "/nonexistent.pem", "nodes"),
      "plz-cache nodes: cannot read --ca_cert /nonexistent.pem: no such file or directory (ENOENT)",
    );
  });

  it("for an --out that cannot be written", async () => {
    const file = join(work, "plain-file");
    expectLocal(
      await cli("retrieve", "--hash", HASH, ...T, "--out", file, "dir"),
      `plz-cache retrieve: cannot create the output directory ${file}: a file is in the way`,
    );
    expectLocal(
      await cli("retrieve", "--hash", HASH, ...T, "--out", join(file, "sub"), "dir"),
      `plz-cache retrieve: cannot create the output directory ${file}/sub: not a directory (ENOTDIR)`,
    );
    const out = join(work, "blocked");
    mkdirSync(out);
    writeFileSync(join(out, "dir"), "in the way");
    expectLocal(
      await cli("retrieve", "--hash", HASH, ...T, "--out", out, "dir"),
      `plz-cache retrieve: cannot create the directory ${out}/dir: a file is in the way`,
    );
  });
});

describe("an unreachable cache exits 3 with one clear line", () => {
  it("for every command, once the node is gone", async () => {
    const doomed = await fleet.start();
    const address = doomed.address;
    await doomed.kill();
    const root = join(work, "src");
    for (const args of [
      ["nodes"],
      ["store", "--hash", "00112233", ...T, "--root", root, "a.txt"],
      ["retrieve", "--hash", "00112233", ...T, "--out", join(work, "x"), "a.txt"],
      ["delete", ...T],
      ["delete", "--everything"],
      ["bench", "--count", "10"],
    ]) {
      const r = await plzCache(["--server", address, "--timeout", "5s", ...args]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`cannot reach the cache: ListNodes: ${address}: UNAVAILABLE`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(hasStackTrace(r)).toBe(false);
    }
  });
});
