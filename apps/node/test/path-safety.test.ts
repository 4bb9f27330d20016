import { lstatSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { status } from "@grpc/grpc-js";
import { callUnary, type RpcCacheClient } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARCH,
  art,
  hashOf,
  type NodeProcess,
  OS,
  removeDir,
  retrieveReq,
  startNode,
  storeReq,
  tempDir,
} from "./harness.js";

// The node's --dir is a subdirectory of a fresh parent; the parent also holds an `outside`
// directory with files, the target of the symlinks below. Whatever a caller sends, nothing in
// the parent outside --dir may change, and nothing on disk under --dir may be a symlink.

let parent: string;
let dir: string;
let outside: string;
let node: NodeProcess;
let client: RpcCacheClient;
/** A name no other run uses, for paths in the shared /tmp. */
const unique = `plz-cache-escape-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  parent = tempDir("plz-cache-paths-");
  dir = join(parent, "cache");
  outside = join(parent, "outside");
  mkdirSync(join(outside, "sub"), { recursive: true });
  writeFileSync(join(outside, "secret.txt"), "do not serve me");
  writeFileSync(join(outside, "sub", "inner.txt"), "nor me");
  node = await startNode({ dir });
  client = node.client();
});
afterAll(async () => {
  await node.stop();
  removeDir(parent);
});

/** Every path under `root` (relative, `/`-separated) with what lstat says of it; `skip` excluded. */
function snapshot(root: string, skip?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skip !== undefined && (p === skip || p.startsWith(skip + sep))) continue;
      const st = lstatSync(p);
      const rel = relative(root, p).split(sep).join("/");
      if (st.isSymbolicLink()) out.set(rel, `symlink -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${st.mode.toString(8)}`);
        walk(p);
      } else out.set(rel, `file ${st.mode.toString(8)} ${st.size} bytes, mtime ${st.mtimeMs}`);
    }
  };
  walk(root);
  return out;
}

/** Whether anything (a dangling symlink too) is at `path`. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Every symlink under `root`. */
function symlinksUnder(root: string): string[] {
  return [...snapshot(root).entries()].filter(([, what]) => what.startsWith("symlink")).map(([p]) => p);
}

type Field = "os" | "arch" | "package" | "target" | "file";

/** Values no field may take, each one an attempt to leave the directory or confuse a path. */
function hostile(field: Field): string[] {
  const values = [
    "..",
    ".",
    "../x",
    "x/..",
    "a/../../b",
    `../../../../../../tmp/${unique}`,
    `/tmp/${unique}`,
    join(parent, `escape-${field}`),
    "/",
    "a\u0000b",
    "\u0000",
    "a//b",
    "a/",
    "/a",
    "./a",
    "a\\..\\..\\b",
    `..\\..\\${unique}`,
    "a\nb",
    "x".repeat(3000),
    `a/${"y".repeat(300)}`,
    "p/".repeat(1100).slice(0, -1),
  ];
  // Empty is fine for the package (the root package) only.
  if (field !== "package") values.push("");
  return values;
}

function request(field: Field, value: string) {
  const pick = (f: Field, fallback: string) => (f === field ? value : fallback);
  return {
    os: pick("os", OS),
    arch: pick("arch", ARCH),
    hash: hashOf(900),
    hostname: "evil",
    everything: false,
    artifacts: [
      art("ok", "ok", "good", "fine"),
      art(pick("package", "ok"), pick("target", "ok"), pick("file", "f"), "evil"),
    ],
  };
}

/** The gRPC status a call ended with (OK when it resolved). */
async function codeOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return status.OK;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe("hostile artifact names against a real node", () => {
  it("answers every one with INVALID_ARGUMENT, stays up, and changes nothing outside --dir", async () => {
    const before = snapshot(parent, dir);
    expect([...before.keys()].sort()).toEqual([
      "outside",
      "outside/secret.txt",
      "outside/sub",
      "outside/sub/inner.txt",
    ]);
    const wrong: string[] = [];
    const expectInvalid = async (what: string, call: Promise<unknown>) => {
      const code = await codeOf(call);
      if (code !== status.INVALID_ARGUMENT) wrong.push(`${what}: ${status[code] ?? code}`);
    };
    const fields: Field[] = ["os", "arch", "package", "target", "file"];
    for (const field of fields) {
      for (const value of hostile(field)) {
        const req = request(field, value);
        const what = `${field} ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
        await expectInvalid(`Store ${what}`, callUnary(client, client.store, req));
        await expectInvalid(`Retrieve ${what}`, callUnary(client, client.retrieve, req));
        // Delete names targets: the file is not part of it.
        if (field !== "file") await expectInvalid(`Delete ${what}`, callUnary(client, client.delete, req));
      }
    }
    for (const hash of [Buffer.alloc(0), Buffer.alloc(3, 1), Buffer.alloc(65, 1)]) {
      const req = { ...request("file", "f"), hash };
      await expectInvalid(`Store hash of ${hash.length} bytes`, callUnary(client, client.store, req));
      await expectInvalid(`Retrieve hash of ${hash.length} bytes`, callUnary(client, client.retrieve, req));
    }
    expect(wrong).toEqual([]);

    // Still up and serving, and nothing of the half-good requests was stored.
    expect(node.proc.exitCode).toBeNull();
    expect((await retrieveReq(client, hashOf(900), [art("ok", "ok", "good")])).success).toBe(false);
    expect(await storeReq(client, hashOf(901), [art("ok", "ok", "after", "still up")])).toEqual({
      success: true,
    });
    expect((await retrieveReq(client, hashOf(901), [art("ok", "ok", "after")])).success).toBe(true);

    expect(snapshot(parent, dir)).toEqual(before);
    expect(present(`/tmp/${unique}`)).toBe(false);
    expect(symlinksUnder(dir)).toEqual([]);
  });
});

describe("symlink artifacts", () => {
  it("are records: never created on disk, never followed, even with a file stored below one", async () => {
    const before = snapshot(parent, dir);
    const relative = `../../../../../tmp/${unique}`;
    const absolute = join(outside, "planted");
    const h = hashOf(910);
    expect(
      await storeReq(client, h, [
        art("ln", "t", "link", undefined, relative),
        art("ln", "t", "abs", undefined, absolute),
      ]),
    ).toEqual({ success: true });
    // A body "inside" each link, in the same hash and in another one.
    const below = [art("ln", "t", "link/x", "through the link?"), art("ln", "t", "abs/y", "or this one?")];
    const sameHash = await codeOf(storeReq(client, h, below));
    const otherHash = await codeOf(storeReq(client, hashOf(911), below));
    expect([sameHash, otherHash]).toEqual([status.OK, status.OK]);

    const res = await retrieveReq(client, h, [art("ln", "t", "link"), art("ln", "t", "abs")]);
    expect(res.success).toBe(true);
    expect(res.artifacts.map((a) => [a.file, a.symlink, a.body.length])).toEqual([
      ["link", relative, 0],
      ["abs", absolute, 0],
    ]);
    expect(present(`/tmp/${unique}`)).toBe(false);
    expect(present(absolute)).toBe(false);
    expect(snapshot(parent, dir)).toEqual(before);
    expect(symlinksUnder(dir)).toEqual([]);
  });

  it("pointing at a directory outside --dir come back as the record alone from a directory request", async () => {
    const h = hashOf(920);
    expect(
      await storeReq(client, h, [
        art("ln", "dir", "out", undefined, outside),
        art("ln", "dir", "tree/link", undefined, outside),
        art("ln", "dir", "tree/rel", undefined, "../../../outside"),
        art("ln", "dir", "tree/file.txt", "mine"),
      ]),
    ).toEqual({ success: true });
    // The link itself, requested as if it were a directory: the record, not secret.txt.
    const one = await retrieveReq(client, h, [art("ln", "dir", "out")]);
    expect(one.artifacts.map((a) => [a.file, a.symlink, a.body.length])).toEqual([["out", outside, 0]]);
    // A directory holding links: every record, and nothing from behind them.
    const tree = await retrieveReq(client, h, [art("ln", "dir", "tree")]);
    expect(tree.success).toBe(true);
    expect(tree.artifacts.map((a) => [a.file, a.symlink, a.body.toString()]).sort()).toEqual([
      ["tree/file.txt", "", "mine"],
      ["tree/link", outside, ""],
      ["tree/rel", "../../../outside", ""],
    ]);
    // A file "behind" a link is a miss, not the outside file.
    for (const file of ["out/secret.txt", "tree/link/secret.txt", "tree/link/sub", "tree/rel/secret.txt"]) {
      expect((await retrieveReq(client, h, [art("ln", "dir", file)])).success, file).toBe(false);
    }
    expect(symlinksUnder(dir)).toEqual([]);
  });
});
