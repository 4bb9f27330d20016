import { status } from "@grpc/grpc-js";
import { callUnary, createRpcServerClient } from "@plz-cache/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterNode,
  holds,
  listNodes,
  metric,
  startCluster,
  startClusterNode,
  waitFor,
} from "./cluster-harness.js";
import { art, deleteReq, hashOf, removeDir, retrieveReq, runCli, storeReq } from "./harness.js";

const SECRET = ["--cluster_secret", "test-cluster-secret"];
let nodes: ClusterNode[];
const extra: ClusterNode[] = [];

beforeAll(async () => {
  nodes = await startCluster("fx", 3, SECRET);
}, 60_000);
afterAll(async () => {
  for (const n of [...nodes, ...extra]) {
    await n.node.stop();
    removeDir(n.node.dir);
  }
});

const at = (i: number) => nodes[i]!.node;

describe("fixed-mode cluster of three", () => {
  it("does not warn that peers are unauthenticated when a cluster secret is set", () => {
    for (const n of nodes) {
      expect(n.node.logs.some((l) => /cluster peers are not authenticated/.test(l.msg))).toBe(false);
    }
  });

  it("agrees on the node list, in slot order, with the spec's ranges", async () => {
    const lists = await Promise.all(nodes.map((n) => listNodes(n.node)));
    for (const l of lists) expect(l).toEqual(lists[0]);
    expect(lists[0]!.map((n) => [n.name, n.hashBegin, n.hashEnd])).toEqual([
      ["fx0", 0, 1431655765],
      ["fx1", 1431655765, 2863311530],
      ["fx2", 2863311530, 4294967295],
    ]);
    expect(lists[0]!.map((n) => n.address)).toEqual(nodes.map((n) => n.node.address));
  });

  it("replicates a store on the owner to the alternate owner, and vice versa", async () => {
    // Point 100 is slot 0's; its alternate 2^31 + 100 is slot 1's.
    await storeReq(at(0).client(), hashOf(100), [art("cl", "t", "owner-first", "A")]);
    expect(await waitFor(() => holds(at(1), hashOf(100), "owner-first"), 10_000)).toBe(true);
    expect(await holds(at(2), hashOf(100), "owner-first")).toBe(false);
    await storeReq(at(1).client(), hashOf(101), [art("cl", "t", "replica-first", "B")]);
    expect(await waitFor(() => holds(at(0), hashOf(101), "replica-first"), 10_000)).toBe(true);
  });

  it("owns and replicates the point 0xFFFFFFFF", async () => {
    // 0xFFFFFFFF is the last slot's; its alternate 2^31 - 1 is slot 1's.
    await storeReq(at(2).client(), hashOf(0xffffffff), [art("cl", "t", "top", "T")]);
    expect(await waitFor(() => holds(at(1), hashOf(0xffffffff), "top"), 10_000)).toBe(true);
  });

  it("sends a delete on one node to all", async () => {
    await storeReq(at(2).client(), hashOf(3_000_000_000), [art("cl", "t", "doomed", "D")]);
    expect(await waitFor(() => holds(at(0), hashOf(3_000_000_000), "doomed"), 10_000)).toBe(true);
    await deleteReq(at(1).client(), [art("cl", "t", "")]);
    for (const i of [0, 1, 2]) {
      expect(await waitFor(async () => !(await holds(at(i), hashOf(3_000_000_000), "doomed")), 10_000)).toBe(
        true,
      );
    }
  });

  it("refuses Join and Replicate without the cluster secret and changes nothing", async () => {
    const c = createRpcServerClient(at(0).address);
    try {
      await expect(
        callUnary(c, c.join, { name: "intruder", address: "127.0.0.1:1" }, { timeoutMs: 5000 }),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(
        callUnary(
          c,
          c.replicate,
          {
            artifacts: [art("cl", "t", "forged", "evil")],
            os: "linux",
            arch: "amd64",
            hash: hashOf(7),
            delete: false,
            hostname: "x",
            peer: "fx1",
          },
          { timeoutMs: 5000 },
        ),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      c.close();
    }
    expect(await holds(at(0), hashOf(7), "forged")).toBe(false);
    expect((await listNodes(at(0))).map((n) => n.name)).toEqual(["fx0", "fx1", "fx2"]);
  });

  it("refuses a fourth name, which exits non-zero with a clear message", async () => {
    const r = await runCli([
      "--host",
      "127.0.0.1",
      "-p",
      "0",
      "--cluster_port",
      "0",
      "--node_name",
      "fx3",
      "--cluster_addresses",
      nodes[0]!.gossip,
      "-d",
      `${at(0).dir}-fx3`,
      ...SECRET,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/could not join the cluster: .*all 3 slots are taken/);
  });

  it("serves from the replica when the owner is killed, and catches the owner up when it rejoins", async () => {
    await storeReq(at(0).client(), hashOf(200), [art("cl", "t", "before", "1")]);
    expect(await waitFor(() => holds(at(1), hashOf(200), "before"), 10_000)).toBe(true);
    const dir = at(0).dir;
    at(0).kill("SIGKILL");
    await at(0).exited;
    // The replica serves.
    expect(await holds(at(1), hashOf(200), "before")).toBe(true);
    // Written while the owner is down: a client retries on the alternate owner.
    await storeReq(at(1).client(), hashOf(201), [art("cl", "t", "while-down", "2")]);
    // Restart under its name, on a new port, through another member.
    const back = await startClusterNode("fx0", ["--cluster_addresses", nodes[1]!.gossip, ...SECRET], { dir });
    nodes[0] = back;
    expect(back.node.logs.find((l) => l.msg === "serving")!.slot).toBe(0);
    expect(await waitFor(() => holds(back.node, hashOf(201), "while-down"), 20_000)).toBe(true);
    expect(await holds(back.node, hashOf(200), "before")).toBe(true);
    // Everyone learns its new address.
    expect(
      await waitFor(async () => (await listNodes(at(2)))[0]!.address === back.node.address, 10_000),
    ).toBe(true);
  });

  it("answers an empty, not-everything Delete with success and deletes nothing on any node", async () => {
    // A key per slot, stored on its owner and copied to the next slot: every node holds two.
    const spread: [point: number, owner: number, replica: number][] = [
      [300, 0, 1],
      [1_600_000_000, 1, 2],
      [3_200_000_000, 2, 0],
    ];
    for (const [p, owner] of spread) {
      await storeReq(at(owner).client(), hashOf(p), [art("cl", "t", `keep-${p}`, "K")]);
    }
    for (const [p, owner, replica] of spread) {
      expect(await waitFor(() => holds(at(replica), hashOf(p), `keep-${p}`), 10_000)).toBe(true);
      expect(await holds(at(owner), hashOf(p), `keep-${p}`)).toBe(true);
    }
    // A barrier on fx1 and fx2: fx0 forwards deletes to each peer in order, so once the barrier's
    // delete has landed everywhere, anything fx0 forwarded before it has too.
    const barrier = () => [art("cl", "barrier", "b")];
    await storeReq(at(1).client(), hashOf(1_600_000_001), [art("cl", "barrier", "b", "B")]);
    expect(
      await waitFor(
        async () => (await retrieveReq(at(2).client(), hashOf(1_600_000_001), barrier())).success,
        10_000,
      ),
    ).toBe(true);

    expect(await deleteReq(at(0).client(), [], false)).toEqual({ success: true });
    await deleteReq(at(0).client(), [art("cl", "barrier", "")]);
    for (const i of [1, 2]) {
      expect(
        await waitFor(
          async () => !(await retrieveReq(at(i).client(), hashOf(1_600_000_001), barrier())).success,
          10_000,
        ),
      ).toBe(true);
    }
    for (const [p, owner, replica] of spread) {
      expect(await holds(at(owner), hashOf(p), `keep-${p}`)).toBe(true);
      expect(await holds(at(replica), hashOf(p), `keep-${p}`)).toBe(true);
    }
  });

  it("counts replications to a dead partner in replication_queue_depth, back to 0 once it returns", async () => {
    expect(await metric(at(0), "replication_queue_depth")).toBe(0);
    const dir = at(1).dir;
    at(1).kill("SIGKILL");
    await at(1).exited;
    // Points of slot 0 whose copies belong to slot 1.
    const points = [400, 401, 402];
    for (const p of points) await storeReq(at(0).client(), hashOf(p), [art("cl", "t", `queued-${p}`, "Q")]);
    expect(
      await waitFor(async () => (await metric(at(0), "replication_queue_depth")) === points.length, 10_000),
    ).toBe(true);
    const back = await startClusterNode("fx1", ["--cluster_addresses", nodes[2]!.gossip, ...SECRET], { dir });
    nodes[1] = back;
    expect(await waitFor(async () => (await metric(at(0), "replication_queue_depth")) === 0, 20_000)).toBe(
      true,
    );
    for (const p of points) expect(await holds(back.node, hashOf(p), `queued-${p}`)).toBe(true);
    // Nothing is being sent any more either.
    expect(await waitFor(async () => (await metric(at(0), "replication_in_flight")) === 0, 5_000)).toBe(true);
  });

  it("refills a node that comes back empty under its name from its partners (PeerSync), nothing queued", async () => {
    // 1e9 is slot 0's, copied to slot 2; 3.5e9 is slot 2's, copied to slot 0. fx0 sends both to fx2.
    const owned = hashOf(3_500_000_000);
    const copied = hashOf(1_000_000_000);
    await storeReq(at(0).client(), owned, [art("cl", "t", "repair-owned", "R1")]);
    await storeReq(at(0).client(), copied, [art("cl", "t", "repair-copied", "R2")]);
    const hasBoth = async (n: ClusterNode) =>
      (await holds(n.node, owned, "repair-owned")) && (await holds(n.node, copied, "repair-copied"));
    expect(await waitFor(() => hasBoth(nodes[2]!), 10_000)).toBe(true);
    // Delivered: no retry queue holds anything that could refill it later.
    for (const n of nodes) expect(await metric(n.node, "replication_queue_depth")).toBe(0);

    // Its disk is replaced: same name, empty --dir (no store, no journal, no cluster table).
    const old = nodes[2]!;
    old.node.kill("SIGKILL");
    await old.node.exited;
    extra.push(old);
    const fresh = await startClusterNode("fx2", ["--cluster_addresses", nodes[0]!.gossip, ...SECRET]);
    nodes[2] = fresh;
    expect(fresh.node.logs.find((l) => l.msg === "serving")!.slot).toBe(2);
    expect(await waitFor(() => hasBoth(fresh), 20_000)).toBe(true);
    expect(
      fresh.node.logs.some(
        (l) => l.msg === "repair from partner" && Number(l.fetched) > 0 && l.peer === "fx0",
      ),
    ).toBe(true);
    for (const n of nodes) expect(await metric(n.node, "replication_queue_depth")).toBe(0);
  });
});
