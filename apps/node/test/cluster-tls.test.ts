import { status } from "@grpc/grpc-js";
import { callUnary, createRpcServerClient } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, tlsCredentials } from "./certs.js";
import { type ClusterNode, holds, listNodes, startCluster, waitFor } from "./cluster-harness.js";
import { art, hashOf, removeDir, storeReq, tempDir } from "./harness.js";

let certDir: string;
let certs: ReturnType<typeof makeCerts>;
let nodes: ClusterNode[] = [];

beforeAll(async () => {
  certDir = tempDir("plz-cache-cluster-certs-");
  certs = makeCerts(certDir, ["outsider"]);
  nodes = await startCluster(
    "tl",
    3,
    [
      "--key_file",
      certs.server!.key,
      "--cert_file",
      certs.server!.cert,
      "--ca_cert_file",
      certs.ca!.cert,
      "--cluster_certs",
      certs.server!.cert,
      // Gossip is plain UDP without a secret: --cluster_certs comes with --cluster_secret.
      "--cluster_secret",
      "test-cluster-secret",
    ],
    () => tlsCredentials(certs.ca!.cert, certs.outsider),
  );
}, 60_000);
afterAll(async () => {
  for (const n of nodes) {
    await n.node.stop();
    removeDir(n.node.dir);
  }
  removeDir(certDir);
});

describe("fixed-mode cluster over TLS with --cluster_certs", () => {
  it("forms, lists every node and replicates between peers that present cluster certificates", async () => {
    const creds = () => tlsCredentials(certs.ca!.cert, certs.outsider);
    const lists = await Promise.all(nodes.map((n) => listNodes(n.node, creds())));
    for (const l of lists) expect(l.map((n) => n.name)).toEqual(["tl0", "tl1", "tl2"]);
    await storeReq(nodes[0]!.node.client(creds()), hashOf(100), [art("cl", "t", "tls", "over tls")]);
    expect(await waitFor(() => holds(nodes[1]!.node, hashOf(100), "tls", creds()), 10_000)).toBe(true);
  });

  it("does not warn that peers are unauthenticated", () => {
    for (const n of nodes) {
      expect(n.node.logs.some((l) => /cluster peers are not authenticated/.test(l.msg))).toBe(false);
    }
  });

  it("refuses Join and Replicate from a certificate that is not a cluster certificate, changing nothing", async () => {
    const creds = () => tlsCredentials(certs.ca!.cert, certs.outsider);
    const before = await Promise.all(nodes.map((n) => listNodes(n.node, creds())));
    const c = createRpcServerClient(nodes[0]!.node.address, {
      credentials: tlsCredentials(certs.ca!.cert, certs.outsider),
    });
    try {
      await expect(
        callUnary(c, c.join, { name: "intruder", address: "127.0.0.1:1" }, { timeoutMs: 5000 }),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(
        callUnary(
          c,
          c.replicate,
          {
            artifacts: [art("cl", "t", "forged", "x")],
            os: "linux",
            arch: "amd64",
            hash: hashOf(5),
            delete: false,
            hostname: "",
            peer: "tl1",
          },
          { timeoutMs: 5000 },
        ),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      c.close();
    }
    const after = await Promise.all(nodes.map((n) => listNodes(n.node, creds())));
    expect(after).toEqual(before);
    for (const l of after) expect(l.map((n) => n.name)).toEqual(["tl0", "tl1", "tl2"]);
    for (const n of nodes) expect(await holds(n.node, hashOf(5), "forged", creds())).toBe(false);
  });
});
