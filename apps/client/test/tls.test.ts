/**
 * The CLI's TLS flags (`--ca_cert`, `--cert`, `--key`) against an in-process TLS server that
 * requires client certificates signed by the test CA.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServerCredentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts } from "./support/certs.js";
import { type CliResult, hasStackTrace, plzCache } from "./support/cli.js";
import { FakeCacheServer } from "./support/fake-cache-server.js";
import { Fleet } from "./support/node-process.js";

const fleet = new Fleet();
let server: FakeCacheServer;
let certs: ReturnType<typeof makeCerts>;
let root: string;

beforeAll(async () => {
  const dir = fleet.tempDir("plz-cache-certs-");
  certs = makeCerts(dir, ["writer"]);
  const credentials = ServerCredentials.createSsl(
    readFileSync(certs.ca!.cert),
    [{ private_key: readFileSync(certs.server!.key), cert_chain: readFileSync(certs.server!.cert) }],
    true,
  );
  server = await FakeCacheServer.start("tls", { credentials });
  root = fleet.tempDir("plz-cache-tls-");
  writeFileSync(join(root, "f"), "secret");
});
afterAll(async () => {
  server.stop();
  await fleet.stop();
});

function withTls(clientCert: boolean, ...args: string[]): Promise<CliResult> {
  const tls = ["--ca_cert", certs.ca!.cert];
  if (clientCert) tls.push("--cert", certs.writer!.cert, "--key", certs.writer!.key);
  return plzCache(["--server", server.address, "--timeout", "5s", ...tls, ...args]);
}

const T = ["--package", "tls", "--target", "t"];

describe("TLS", () => {
  it("stores and retrieves over TLS with a client certificate, with nothing but results printed", async () => {
    const stored = await withTls(true, "store", "--hash", "00000001", ...T, "--root", root, "f");
    expect(stored, stored.stderr).toMatchObject({ code: 0, stderr: "" });
    const out = fleet.tempDir("plz-cache-tls-out-");
    const got = await withTls(true, "retrieve", "--hash", "00000001", ...T, "--out", out, "f");
    expect(got, got.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(join(out, "f"), "utf8")).toBe("secret");
  });

  it("exits 3 when the server refuses the handshake without a client certificate", async () => {
    const r = await withTls(false, "nodes");
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    expect(hasStackTrace(r)).toBe(false);
  });

  it("exits 3 with UNAUTHENTICATED when the server answers so", async () => {
    server.behaviour.store = {
      status: status.UNAUTHENTICATED,
      details: "Store needs a writable certificate",
    };
    try {
      const r = await withTls(true, "store", "--hash", "00000002", ...T, "--root", root, "f");
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(
        /^plz-cache store: store \/\/tls:t: 127\.0\.0\.1:\d+: UNAUTHENTICATED: Store needs a writable certificate\n$/,
      );
    } finally {
      delete server.behaviour.store;
    }
  });

  it("exits 3 when talking plaintext to a TLS server", async () => {
    const r = await plzCache(["--server", server.address, "--timeout", "3s", "nodes"]);
    expect(r.code, r.stderr).toBe(3);
    expect(hasStackTrace(r)).toBe(false);
  });
});
