import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CacheClient } from "../cache-client.js";
import type { CliIo } from "./io.js";
import { runCli } from "./main.js";

function capture(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return { io: { stdout, stderr, stderrIsTTY: false }, out: () => out, err: () => err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

// Port 1 on loopback: nothing listens, and none of these runs gets as far as dialling it.
const SERVER = ["--server", "127.0.0.1:1"];

describe("runCli", () => {
  it("exits 2 with one line, no usage line, when a FILE cannot be read, before dialling the cache", async () => {
    const c = capture();
    const code = await runCli(
      [
        ...SERVER,
        "store",
        "--hash",
        "00112233",
        "--package",
        "p",
        "--target",
        "t",
        "--root",
        "/nonexistent",
        "f",
      ],
      c.io,
    );
    expect(code).toBe(2);
    expect(c.err()).toBe("plz-cache store: no such file or directory: f (under /nonexistent)\n");
    expect(c.out()).toBe("");
  });

  it("exits 2 with one line when --ca_cert cannot be read", async () => {
    const c = capture();
    expect(await runCli([...SERVER, "--ca_cert", "/nonexistent.pem", "nodes"], c.io)).toBe(2);
    expect(c.err()).toBe(
      "plz-cache nodes: cannot read --ca_cert /nonexistent.pem: no such file or directory (ENOENT)\n",
    );
  });

  it("exits 3 with one line on an internal error (anything that is not a ClientError)", async () => {
    vi.spyOn(CacheClient.prototype, "nodes").mockRejectedValue(new TypeError("boom\n  at somewhere"));
    const c = capture();
    expect(await runCli([...SERVER, "nodes"], c.io)).toBe(3);
    expect(c.err()).toBe("plz-cache nodes: internal error: boom at somewhere\n");
  });
});
