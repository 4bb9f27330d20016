import { createServer } from "node:net";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { callUnary } from "@plz-cache/protocol";
import { art, type NodeProcess, retrieveReq, startNode, tempDir } from "./harness.js";

export interface ClusterNode {
  name: string;
  node: NodeProcess;
  /** host:port of its gossip. */
  gossip: string;
}

/** Starts a node in a cluster and waits until it serves with a slot. */
export async function startClusterNode(
  name: string,
  args: string[],
  opts: { dir?: string; env?: NodeJS.ProcessEnv; clusterPort?: number } = {},
): Promise<ClusterNode> {
  const node = await startNode({
    dir: opts.dir ?? tempDir(`plz-cache-${name}-`),
    args: ["--node_name", name, "--cluster_port", String(opts.clusterPort ?? 0), ...args],
    ...(opts.env ? { env: opts.env } : {}),
  });
  const serving = node.logs.find((l) => l.msg === "serving")!;
  return { name, node, gossip: serving.clusterPort as string };
}

/** Seeds a cluster of `size` and joins `size - 1` more nodes through the seed. */
export async function startCluster(
  prefix: string,
  size: number,
  extra: string[] = [],
  creds?: () => ChannelCredentials,
): Promise<ClusterNode[]> {
  const seed = await startClusterNode(`${prefix}0`, [
    "--seed_cluster",
    "--cluster_size",
    String(size),
    ...extra,
  ]);
  // One at a time, so that node i gets slot i (a node is serving once its Join is done).
  const nodes = [seed];
  for (let i = 1; i < size; i++) {
    nodes.push(await startClusterNode(`${prefix}${i}`, ["--cluster_addresses", seed.gossip, ...extra]));
  }
  // Wait until every node lists every slot holder.
  const formed = await waitFor(async () => {
    for (const n of nodes) if ((await listNodes(n.node, creds?.())).length !== size) return false;
    return true;
  }, 20_000);
  if (!formed) throw new Error(`the ${size}-node cluster did not form`);
  return nodes;
}

export async function listNodes(n: NodeProcess, creds?: ChannelCredentials) {
  const c = n.client(creds);
  return (await callUnary(c, c.listNodes, {}, { timeoutMs: 5000 })).nodes;
}

/** Polls `pred` every 100 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(pred: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await pred()) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Whether node `n` holds the artifact (asked directly, not routed). */
export async function holds(n: NodeProcess, hash: Buffer, file: string, creds?: ChannelCredentials) {
  return (await retrieveReq(n.client(creds), hash, [art("cl", "t", file)])).success;
}

export async function members(
  n: NodeProcess,
): Promise<{ name: string; address: string; gossip: string; state: string; incarnation: number }[]> {
  return JSON.parse((await n.http("/members")).body);
}

/** The value of an unlabelled metric on the node's `/metrics`, or `undefined` when absent. */
export async function metric(n: NodeProcess, name: string): Promise<number | undefined> {
  const body = (await n.http("/metrics")).body;
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A 127.0.0.1 TCP port that was free a moment ago (nothing listens on it when this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
