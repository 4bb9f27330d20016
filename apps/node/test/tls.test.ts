import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { callUnary } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, tlsCredentials } from "./certs.js";
import {
  art,
  hashOf,
  type NodeProcess,
  removeDir,
  retrieveReq,
  startNode,
  storeReq,
  tempDir,
} from "./harness.js";

let certDir: string;
let certs: ReturnType<typeof makeCerts>;
let node: NodeProcess;

beforeAll(async () => {
  certDir = tempDir("plz-cache-certs-");
  certs = makeCerts(certDir, ["writer", "reader", "stranger"]);
  // --readonly_certs as a directory of PEM files, --writable_certs as one file.
  const readers = join(certDir, "readers");
  mkdirSync(readers);
  copyFileSync(certs.reader!.cert, join(readers, "reader.pem"));
  node = await startNode({
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
      readers,
    ],
  });
});
afterAll(async () => {
  await node.stop();
  removeDir(node.dir);
  removeDir(certDir);
});

describe("TLS and access control", () => {
  it("lets a writable certificate store and retrieve", async () => {
    const c = node.client(tlsCredentials(certs.ca!.cert, certs.writer));
    expect(await storeReq(c, hashOf(1), [art("tls", "t", "f", "secret")])).toEqual({ success: true });
    expect((await retrieveReq(c, hashOf(1), [art("tls", "t", "f")])).success).toBe(true);
    expect(await callUnary(c, c.listNodes, {})).toEqual({ nodes: [] });
  });

  it("lets a readonly certificate retrieve and list but not store or delete", async () => {
    const c = node.client(tlsCredentials(certs.ca!.cert, certs.reader));
    expect((await retrieveReq(c, hashOf(1), [art("tls", "t", "f")])).artifacts[0]!.body.toString()).toBe(
      "secret",
    );
    expect(await callUnary(c, c.listNodes, {})).toEqual({ nodes: [] });
    await expect(storeReq(c, hashOf(2), [art("tls", "t", "g", "x")])).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(
      callUnary(c, c.delete, {
        os: "linux",
        arch: "amd64",
        artifacts: [art("tls", "t", "")],
        everything: false,
      }),
    ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect((await retrieveReq(c, hashOf(1), [art("tls", "t", "f")])).success).toBe(true);
  });

  it("answers UNAUTHENTICATED to an unlisted certificate and to no certificate", async () => {
    for (const c of [
      node.client(tlsCredentials(certs.ca!.cert, certs.stranger)),
      node.client(tlsCredentials(certs.ca!.cert)),
    ]) {
      await expect(retrieveReq(c, hashOf(1), [art("tls", "t", "f")])).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      await expect(storeReq(c, hashOf(3), [art("tls", "t", "h", "x")])).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      await expect(callUnary(c, c.listNodes, {})).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    }
  });

  it("does not talk plaintext to a TLS node", async () => {
    const c = node.client();
    await expect(callUnary(c, c.listNodes, {}, { timeoutMs: 3000 })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });
});
