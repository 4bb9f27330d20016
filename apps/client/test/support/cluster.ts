/**
 * A real fixed-mode cluster of `plz-cache-node` processes (copied in spirit from
 * apps/node/test/cluster-harness.ts; apps do not import each other), and ways to ask one node
 * directly — not through the routing client — what it holds.
 */
import { hashPoint } from "@plz-cache/hashring";
import { callUnary, createRpcCacheClient, type Node, type RetrieveResponse } from "@plz-cache/protocol";
import type { Fleet, NodeProcess } from "./node-process.js";

/** The cluster secret every node of a test cluster shares. */
export const CLUSTER_SECRET = "plz-cache-client-test-secret";

/** Flags of a node named `name` that takes part in a cluster. */
function clusterArgs(name: string, extra: readonly string[]): string[] {
  return ["--node_name", name, "--cluster_port", "0", "--cluster_secret", CLUSTER_SECRET, ...extra];
}

/** `ListNodes` asked of `node` itself. */
export async function listNodesOf(node: NodeProcess): Promise<Node[]> {
  const c = createRpcCacheClient(node.address);
  try {
    return (await callUnary(c, c.listNodes, {}, { timeoutMs: 5_000 })).nodes;
  } finally {
    c.close();
  }
}

/** Polls `pred` every 100 ms until it holds; throws, naming `what`, after `timeoutMs`. */
export async function until(
  what: string,
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await pred()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? `: ${String(last)}` : ""}`);
}

/**
 * Seeds a cluster of `size` (`<prefix>0`) and joins `size - 1` more nodes through it, then waits
 * until every node lists every node at its address. Resolves with the nodes by slot: `[i]`
 * owns `[hashPoint(i, size), hashPoint(i + 1, size))`.
 */
export async function startCluster(
  fleet: Fleet,
  prefix: string,
  size: number,
  extra: readonly string[] = [],
): Promise<NodeProcess[]> {
  const seed = await fleet.start({
    args: clusterArgs(`${prefix}0`, ["--seed_cluster", "--cluster_size", String(size), ...extra]),
  });
  const rest = await Promise.all(
    Array.from({ length: size - 1 }, (_, i) =>
      fleet.start({
        args: clusterArgs(`${prefix}${i + 1}`, ["--cluster_addresses", seed.clusterAddress, ...extra]),
      }),
    ),
  );
  const bySlot = [seed, ...rest].sort((a, b) => a.slot - b.slot);
  if (bySlot.map((n) => n.slot).join() !== Array.from({ length: size }, (_, i) => i).join()) {
    throw new Error(`the cluster's slots are ${bySlot.map((n) => n.slot).join(", ")}`);
  }
  await untilListed(bySlot);
  return bySlot;
}

/** Waits until every live node of `nodes` lists exactly `nodes`, each at its current address. */
export async function untilListed(nodes: readonly NodeProcess[]): Promise<void> {
  const want = nodes.map((n) => n.address).join();
  await until(
    `every node lists ${want}`,
    async () => {
      for (const n of nodes.filter((m) => m.alive)) {
        if ((await listNodesOf(n)).map((m) => m.address).join() !== want) return false;
      }
      return true;
    },
    20_000,
  );
}

/**
 * Starts `node` again (it must be dead) with the same storage directory and name, joining
 * through `via`'s gossip address: it gets its slot back, on new ports.
 */
export async function restartNode(
  fleet: Fleet,
  node: NodeProcess,
  name: string,
  via: NodeProcess,
): Promise<NodeProcess> {
  if (node.alive) throw new Error("restartNode: the node is still running");
  return fleet.start({ dir: node.dir, args: clusterArgs(name, ["--cluster_addresses", via.clusterAddress]) });
}

/** The slot of a 3-slot cluster that owns `point` (the last also owns 0xFFFFFFFF). */
export function slotOf(point: number, size = 3): number {
  for (let i = 0; i < size; i++) if (point < hashPoint(i + 1, size)) return i;
  return size - 1;
}

/** The spec's AlternateHash of a point. */
export function alternatePoint(point: number): number {
  const half = 2 ** 31;
  return point > half ? point - half : (point + half) % 2 ** 32;
}

export interface DirectTarget {
  package: string;
  target: string;
  os: string;
  arch: string;
}

/** `Retrieve` asked of `node` itself: what it holds, with no routing and no retry. */
export async function retrieveFrom(
  node: NodeProcess,
  t: DirectTarget,
  hash: Buffer,
  files: readonly string[],
): Promise<RetrieveResponse> {
  const c = createRpcCacheClient(node.address);
  try {
    return await callUnary(
      c,
      c.retrieve,
      {
        os: t.os,
        arch: t.arch,
        hash,
        artifacts: files.map((file) => ({
          package: t.package,
          target: t.target,
          file,
          body: Buffer.alloc(0),
          symlink: "",
        })),
      },
      { timeoutMs: 5_000 },
    );
  } finally {
    c.close();
  }
}

/** Whether `node` itself holds every one of `files`. */
export async function holds(
  node: NodeProcess,
  t: DirectTarget,
  hash: Buffer,
  files: readonly string[],
): Promise<boolean> {
  return (await retrieveFrom(node, t, hash, files)).success;
}
