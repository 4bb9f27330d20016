/**
 * The CLI's TLS flags (`--ca_cert`, `--cert`, `--key`) against a real `plz-cache-node` serving
 * TLS, that checks client certificates against `--writable_certs` and `--readonly_certs`
 * (throwaway certificates made with openssl).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts } from "./support/certs.js";
import { type CliResult, hasStackTrace, plzCache } from "./support/cli.js";
import { Fleet, type NodeProcess } from "./support/node-process.js";

const fleet = new Fleet();
let node: NodeProcess;
let certs: ReturnType<typeof makeCerts>;
/** Another CA, which did not sign the server's certificate. */
let otherCa: string;
let root: string;

beforeAll(async () => {
  const dir = fleet.tempDir("plz-cache-certs-");
  certs = makeCerts(dir, ["writer", "reader", "stranger"]);
  const otherDir = join(dir, "other");
  mkdirSync(otherDir);
  otherCa = makeCerts(otherDir, []).ca!.cert;
  node = await fleet.start({
    args: [
      "--key_file",
      certs.server!.key,
      "--cert_file",
      certs.server!.cert,
      "--ca_cert_file",
      certs.ca!.cert,
      "--writable_certs",
      certs.writer!.cert,
      "--readonly_certs",
      certs.reader!.cert,
    ],
  });
  root = fleet.tempDir("plz-cache-tls-");
  writeFileSync(join(root, "f"), "secret");
}, 60_000);
afterAll(() => fleet.stop());

type Who = "writer" | "reader" | "stranger" | "none";

function as(who: Who, ...args: string[]): Promise<CliResult> {
  const tls = ["--ca_cert", certs.ca!.cert];
  if (who !== "none") tls.push("--cert", certs[who]!.cert, "--key", certs[who]!.key);
  return plzCache(["--server", node.address, "--timeout", "5s", ...tls, ...args]);
}

const T = ["--package", "tls", "--target", "t"];

/** Exit 3 and exactly one line on stderr, matching `line`, and nothing on stdout. */
function expectRefused(r: CliResult, line: RegExp): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^[^\n]+\n$/);
  expect(r.stderr).toMatch(line);
  expect(hasStackTrace(r)).toBe(false);
}

describe("TLS against a real node with certificate access lists", () => {
  it("a writable certificate stores and retrieves, with nothing but results printed", async () => {
    const stored = await as("writer", "store", "--hash", "00000001", ...T, "--root", root, "f");
    expect(stored).toMatchObject({ code: 0, stderr: "", stdout: "stored 1 file (6 B) for //tls:t\n" });
    const out = fleet.tempDir("plz-cache-tls-out-");
    const got = await as("writer", "retrieve", "--hash", "00000001", ...T, "--out", out, "f");
    expect(got).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(join(out, "f"), "utf8")).toBe("secret");
  });

  it("a readonly certificate retrieves and lists nodes, but store and delete exit 3 with one UNAUTHENTICATED line", async () => {
    const out = fleet.tempDir("plz-cache-tls-out-");
    const got = await as("reader", "retrieve", "--hash", "00000001", ...T, "--out", out, "f");
    expect(got).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(join(out, "f"), "utf8")).toBe("secret");
    const nodes = await as("reader", "nodes");
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stderr).toContain("is not clustered");

    expectRefused(
      await as("reader", "store", "--hash", "00000002", ...T, "--root", root, "f"),
      /^plz-cache store: store \/\/tls:t: 127\.0\.0\.1:\d+: UNAUTHENTICATED: \S.*\n$/,
    );
    expectRefused(
      await as("reader", "delete", ...T),
      /^plz-cache delete: delete \/\/tls:t: .*UNAUTHENTICATED/,
    );
    // Nothing was stored.
    expect((await as("writer", "retrieve", "--hash", "00000002", ...T, "--out", out, "f")).code).toBe(1);
  });

  it("a certificate of the right CA that is on neither list, or none at all, is refused with exit 3", async () => {
    expectRefused(
      await as("stranger", "retrieve", "--hash", "00000001", ...T, "--out", root, "f"),
      /^plz-cache retrieve: ListNodes: 127\.0\.0\.1:\d+: UNAUTHENTICATED/,
    );
    expectRefused(
      await as("none", "nodes"),
      /^plz-cache nodes: ListNodes: 127\.0\.0\.1:\d+: UNAUTHENTICATED/,
    );
  });

  it("exits 3 with one line when the server's certificate is not signed by --ca_cert", async () => {
    const r = await plzCache([
      "--server",
      node.address,
      "--timeout",
      "5s",
      "--ca_cert",
      otherCa,
      "--cert",
      certs.writer!.cert,
      "--key",
      certs.writer!.key,
      "nodes",
    ]);
    expectRefused(r, /^plz-cache nodes: cannot reach the cache: ListNodes: 127\.0\.0\.1:\d+: UNAVAILABLE/);
  });

  it("exits 3 with one line when talking plaintext to the TLS node", async () => {
    const r = await plzCache(["--server", node.address, "--timeout", "3s", "nodes"]);
    expectRefused(r, /^plz-cache nodes: cannot reach the cache: ListNodes: 127\.0\.0\.1:\d+: UNAVAILABLE/);
  });
});
