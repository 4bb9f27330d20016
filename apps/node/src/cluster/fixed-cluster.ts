import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Member, type Membership, MembershipError } from "@plz-cache/membership";
import {
  callUnary,
  type DeleteRequest,
  type JoinRequest,
  type JoinResponse,
  type Node,
  PeerSyncService,
  RpcServerService,
  type StoreRequest,
} from "@plz-cache/protocol";
import {
  FixedPlacement,
  fixedRepairPlan,
  type RepairEntry,
  Replicator,
  repairRange,
} from "@plz-cache/replication";
import type { ArtifactStore } from "@plz-cache/store";
import type { NodeConfig } from "../config.js";
import type { NodeLogger } from "../logger.js";
import type { ClusterHooks } from "../rpc-cache.js";
import { startGossip } from "./gossip.js";
import { GrpcReplicationTransport } from "./grpc-transport.js";
import type { PeerClients } from "./peer-clients.js";
import type { PeerHandlers } from "./rpc-server.js";
import { SlotTable } from "./slot-table.js";

/** A node could not take part in the cluster: the CLI prints the message and exits 1. */
export class ClusterError extends Error {
  override readonly name = "ClusterError";
  readonly code: "FULL" | "NO_MEMBERS" | "JOIN_FAILED" | "NO_SIZE" | "SIZE_MISMATCH";
  constructor(code: ClusterError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** How long a joining node waits for a member that holds a slot to show up in gossip. */
export const DEFAULT_COORDINATOR_WAIT_MS = 20_000;
/**
 * How long a `--seed_if` node that reached members by gossip, none of them holding a slot,
 * waits for one to before it seeds (every member reached is waiting for a cluster too).
 */
export const DEFAULT_SEED_IF_GRACE_MS = 3_000;
/** How often repair tasks that could not finish are tried again. */
export const REPAIR_RETRY_MS = 5_000;

const TABLE_FILE = "cluster.json";

export interface FixedClusterDeps {
  config: NodeConfig;
  logger: NodeLogger;
  store: ArtifactStore;
  clients: PeerClients;
  /** The port our gRPC server is bound to. */
  grpcPort: number;
}

/**
 * The original's clustering ("fixed" mode, spec §4), made reliable: a fixed number of slots,
 * a name keeps its slot, replication to the key's other owner through a durable retry queue,
 * deletes to every other member, and repair from the replica partners after a restart.
 */
export class FixedCluster implements ClusterHooks, PeerHandlers {
  readonly clustered = true;
  readonly membership: Membership;
  readonly table: SlotTable;
  readonly slot: number;
  readonly grpcAddress: string;
  readonly replicator: Replicator;
  readonly #deps: FixedClusterDeps;
  readonly #log: NodeLogger;
  readonly #repairAbort = new AbortController();
  #repairTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    deps: FixedClusterDeps,
    membership: Membership,
    table: SlotTable,
    slot: number,
    grpcAddress: string,
    replicator: Replicator,
  ) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: "cluster" });
    this.membership = membership;
    this.table = table;
    this.slot = slot;
    this.grpcAddress = grpcAddress;
    this.replicator = replicator;
  }

  /** Seeds or joins the cluster as the flags say; resolves once this node holds a slot. */
  static async start(deps: FixedClusterDeps): Promise<FixedCluster> {
    const { config, logger } = deps;
    const log = logger.child({ component: "cluster" });
    const membership = await startGossip(config, logger, { grpc: "", mode: "fixed" });
    try {
      const host = config.advertiseAddr ?? membership.address.replace(/:\d+$/, "");
      const grpcAddress = `${host}:${deps.grpcPort}`;
      membership.setMeta({ grpc: grpcAddress, mode: "fixed" });
      const saved = loadTable(config.dir, log);

      let table: SlotTable;
      let slot: number;
      const seed = async (): Promise<[SlotTable, number]> => {
        const size = config.clusterSize!;
        const t = saved && saved.size === size ? saved : new SlotTable(size);
        const s = t.assign(config.nodeName, grpcAddress);
        if (s === undefined)
          throw new ClusterError("FULL", `every slot of the saved ${size}-node table is taken`);
        log.notice({ size, slot: s }, "seeded the cluster");
        return [t, s];
      };
      if (config.seedCluster) {
        [table, slot] = await seed();
        if (config.clusterAddresses.length) await membership.join(config.clusterAddresses).catch(() => 0);
      } else {
        // --seed_if: seed when this node is NAME and no cluster can be found (spec §4). Never on
        // a refused Join (the cluster exists and is full), and not while a member holds a slot.
        const mayBeSeed = config.seedIf !== undefined && config.seedIf === config.nodeName;
        if (mayBeSeed && config.clusterSize === undefined) {
          throw new ClusterError(
            "NO_SIZE",
            `--seed_if ${config.seedIf} needs --cluster_size on ${config.nodeName}, the node that may seed`,
          );
        }
        const joined = (await reachMembers(membership, config))
          ? await joinThroughCoordinator(membership, config, grpcAddress, log, deps.clients, mayBeSeed)
          : undefined;
        if (joined) {
          [table, slot] = joined;
        } else if (mayBeSeed) {
          log.notice({ seedIf: config.seedIf }, "no cluster found: seeding it (--seed_if)");
          [table, slot] = await seed();
        } else {
          const addresses = config.clusterAddresses.join(",") || "(none)";
          throw new ClusterError(
            "JOIN_FAILED",
            config.seedIf === undefined
              ? `could not reach any of --cluster_addresses ${addresses}`
              : `could not reach any of --cluster_addresses ${addresses}, and only ${config.seedIf} (--seed_if) may seed the cluster`,
          );
        }
      }
      membership.setMeta({ grpc: grpcAddress, mode: "fixed", slot: String(slot), size: String(table.size) });
      saveTable(config.dir, table);

      const transport = new GrpcReplicationTransport({
        store: deps.store,
        clients: deps.clients,
        addressOf: (peer) => {
          const s = table.slotOf(peer);
          return s === undefined ? undefined : table.holder(s)?.address;
        },
        self: config.nodeName,
      });
      const replicator = await Replicator.open({
        placement: new FixedPlacement({ ring: table.ring, self: slot, nodeAt: (s) => table.holder(s)?.name }),
        transport,
        queue: { dir: join(config.dir, "replication") },
        logger: logger.child({ component: "replication" }),
        onDrop: (peer, op, error) => log.warn({ peer, kind: op.kind, err: error }, "replication dropped"),
      });
      const cluster = new FixedCluster(deps, membership, table, slot, grpcAddress, replicator);
      cluster.#watch();
      cluster.#repairSoon(0, fixedRepairPlan(table.ring, slot));
      return cluster;
    } catch (err) {
      await membership.close();
      throw err;
    }
  }

  /** Learns slot holders from gossip, and retries a peer's queue as soon as it is back. */
  #watch(): void {
    const learn = (m: Member) => {
      const slot = Number(m.meta.slot);
      if (m.meta.slot === undefined || !Number.isInteger(slot) || !m.meta.grpc) return;
      if (m.meta.size && Number(m.meta.size) !== this.table.size) {
        this.#log.error(
          { peer: m.name, size: m.meta.size },
          "peer reports another cluster size; ignoring it",
        );
        return;
      }
      if (this.table.set(slot, { name: m.name, address: m.meta.grpc })) {
        this.#log.info({ peer: m.name, slot, address: m.meta.grpc }, "slot holder learned");
        saveTable(this.#deps.config.dir, this.table);
      }
    };
    for (const m of this.membership.members()) if (m.name !== this.#deps.config.nodeName) learn(m);
    for (const ev of ["join", "update", "alive"] as const) {
      this.membership.on(ev, (m) => {
        learn(m);
        this.replicator.kick(m.name);
      });
    }
    this.membership.on("dead", (m) => this.#log.warn({ peer: m.name }, "peer is dead"));
    this.membership.on("left", (m) => this.#log.notice({ peer: m.name }, "peer left"));
  }

  /** Pulls what this slot should hold from its partners; unfinished tasks are retried later. */
  #repairSoon(delayMs: number, tasks: ReturnType<typeof fixedRepairPlan>): void {
    if (tasks.length === 0 || this.#repairAbort.signal.aborted) return;
    this.#repairTimer = setTimeout(() => void this.#repair(tasks), delayMs);
    this.#repairTimer.unref();
  }

  async #repair(tasks: ReturnType<typeof fixedRepairPlan>): Promise<void> {
    const { store, clients } = this.#deps;
    const refs = new Map<string, RepairEntry["ref"]>();
    const left: typeof tasks = [];
    for (const task of tasks) {
      const holder = this.table.holder(task.peerSlot);
      if (!holder || holder.name === this.#deps.config.nodeName) {
        if (!holder) left.push(task);
        continue;
      }
      const result = await repairRange({
        peer: holder.name,
        begin: task.begin,
        end: task.end,
        signal: this.#repairAbort.signal,
        logger: this.#log,
        local: {
          scanRange: (b, e, o) =>
            store
              .scanRange(b, e, { limit: o.limit, ...(o.after ? { after: o.after } : {}) })
              .map((r) => ({ key: r.key, digest: r.digest, ref: r.ref })),
          digests: (keys) =>
            keys.map((k) => {
              const ref = refs.get(k);
              return ref ? (store.stat(ref)?.digest ?? undefined) : undefined;
            }),
        },
        remote: {
          listKeys: async (_peer, b, e, after, limit) => {
            const c = clients.peerSync(holder.address);
            const md = clients.metadata(PeerSyncService.listKeys.path);
            const res = await callUnary(
              c,
              c.listKeys,
              { begin: b, end: e === 2 ** 32 ? 0 : e, endIsTop: e === 2 ** 32, after: after ?? "", limit },
              { timeoutMs: 30_000, ...(md ? { metadata: md } : {}) },
            );
            const keys = res.keys.map((k) => {
              const ref = {
                os: k.os,
                arch: k.arch,
                hash: k.hash,
                package: k.package,
                target: k.target,
                file: k.file,
              };
              refs.set(k.key, ref);
              return { key: k.key, digest: k.digest, ref };
            });
            return res.next ? { keys, next: res.next } : { keys };
          },
          fetchInto: async (_peer, wanted) => {
            const c = clients.peerSync(holder.address);
            let stored = 0;
            for (const ref of wanted) {
              const md = clients.metadata(PeerSyncService.fetch.path);
              const res = await callUnary(
                c,
                c.fetch,
                {
                  os: ref.os,
                  arch: ref.arch,
                  hash: Buffer.from(ref.hash),
                  artifacts: [
                    {
                      package: ref.package,
                      target: ref.target,
                      file: ref.file,
                      body: Buffer.alloc(0),
                      symlink: "",
                    },
                  ],
                },
                { timeoutMs: 60_000, ...(md ? { metadata: md } : {}) },
              );
              const a = res.artifacts[0];
              if (!res.success || !a) continue;
              const meta = { replicated: true, peer: holder.name };
              if (a.symlink) await store.putSymlink(ref, a.symlink, meta);
              else await store.put(ref, a.body, meta);
              stored++;
            }
            return stored;
          },
        },
      });
      if (result.fetched > 0 || !result.complete) {
        this.#log.notice(
          { peer: holder.name, role: task.role, fetched: result.fetched, complete: result.complete },
          "repair from partner",
        );
      }
      if (!result.complete) left.push(task);
    }
    this.#repairSoon(REPAIR_RETRY_MS, left);
  }

  listNodes(): Node[] {
    return this.table.nodes();
  }

  afterStore(req: StoreRequest): void {
    if (req.hash.length < 4) return;
    void this.replicator
      .onStore({
        os: req.os,
        arch: req.arch,
        hash: req.hash,
        hostname: req.hostname,
        artifacts: req.artifacts.map((a) => ({ package: a.package, target: a.target, file: a.file })),
      })
      .catch((err) => this.#log.error({ err }, "replication failed"));
  }

  afterDelete(req: DeleteRequest): void {
    void this.replicator
      .onDelete({
        os: req.os,
        arch: req.arch,
        everything: req.everything,
        artifacts: req.artifacts.map((a) => ({ package: a.package, target: a.target })),
      })
      .catch((err) => this.#log.error({ err }, "delete forwarding failed"));
  }

  /** `RpcServer.Join`: the newcomer's slot (its own again for a known name), or `success: false`. */
  join(req: JoinRequest): Promise<JoinResponse> {
    const slot = req.name ? this.table.assign(req.name, req.address) : undefined;
    if (slot === undefined) {
      this.#log.warn({ peer: req.name }, "refused a join: every slot is taken");
      return Promise.resolve({
        success: false,
        node: undefined,
        nodes: this.table.nodes(),
        size: this.table.size,
      });
    }
    saveTable(this.#deps.config.dir, this.table);
    this.#log.notice({ peer: req.name, slot, address: req.address }, "node joined");
    const r = this.table.ring.range(slot);
    return Promise.resolve({
      success: true,
      node: { name: req.name, address: req.address, hashBegin: r.begin, hashEnd: r.end },
      nodes: this.table.nodes(),
      size: this.table.size,
    });
  }

  queueDepth(): number {
    return this.replicator.depth();
  }

  /** Replications being sent or waiting for a send slot (not yet delivered or queued). */
  replicationInFlight(): number {
    const { inflight, waiting } = this.replicator.stats();
    return inflight + waiting;
  }

  /** Leaves gracefully: finish or persist replication, tell the others we left. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#repairAbort.abort();
      if (this.#repairTimer) clearTimeout(this.#repairTimer);
      await this.replicator.close();
      await this.membership.leave();
      await this.membership.close();
    })();
    return this.#closing;
  }
}

/**
 * Gossips with `--cluster_addresses`: whether any other member answered. `false` when none is
 * given or none answered after every retry (the addresses "resolve to nothing").
 */
async function reachMembers(membership: Membership, config: NodeConfig): Promise<boolean> {
  try {
    await membership.join(config.clusterAddresses);
  } catch (err) {
    if (err instanceof MembershipError && err.code === "JOIN_FAILED") return false;
    throw err;
  }
  return membership.aliveMembers().some((m) => m.name !== config.nodeName);
}

/**
 * Joins through the member holding the lowest slot. Resolves `undefined` (the caller seeds)
 * only when `mayBeSeed` and no member gossip reached has held a slot for
 * {@link DEFAULT_SEED_IF_GRACE_MS}: they are all waiting for a cluster too.
 */
async function joinThroughCoordinator(
  membership: Membership,
  config: NodeConfig,
  grpcAddress: string,
  log: NodeLogger,
  clients: PeerClients,
  mayBeSeed: boolean,
): Promise<[SlotTable, number] | undefined> {
  const started = Date.now();
  const deadline = started + DEFAULT_COORDINATOR_WAIT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    // Ask the member holding the lowest slot, so concurrent joins are serialised in one place.
    const holders = membership
      .aliveMembers()
      .filter((m) => m.name !== config.nodeName && m.meta.slot !== undefined && m.meta.grpc)
      .sort((a, b) => Number(a.meta.slot) - Number(b.meta.slot));
    if (holders.length === 0 && mayBeSeed && Date.now() - started >= DEFAULT_SEED_IF_GRACE_MS) {
      log.notice("no member reached holds a slot");
      return undefined;
    }
    for (const m of holders) {
      const client = clients.rpcServer(m.meta.grpc!);
      try {
        const md = clients.metadata(RpcServerService.join.path);
        const res = await callUnary(
          client,
          client.join,
          { name: config.nodeName, address: grpcAddress },
          { timeoutMs: 10_000, ...(md ? { metadata: md } : {}) },
        );
        if (!res.success) {
          throw new ClusterError(
            "FULL",
            `the cluster refused to join ${config.nodeName}: all ${res.size} slots are taken by other names`,
          );
        }
        const table = new SlotTable(res.size);
        for (const n of res.nodes)
          table.set(table.ring.slotOf(n.hashBegin), { name: n.name, address: n.address });
        const slot = table.ring.slotOf(res.node!.hashBegin);
        table.set(slot, { name: config.nodeName, address: grpcAddress });
        log.notice({ slot, size: res.size, via: m.name }, "joined the cluster");
        return [table, slot];
      } catch (err) {
        if (err instanceof ClusterError) throw err;
        lastError = err;
        log.warn({ err, via: m.name }, "join attempt failed");
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new ClusterError("NO_MEMBERS", "found no cluster member holding a slot to join through", {
    cause: lastError,
  });
}

function loadTable(dir: string, log: NodeLogger): SlotTable | undefined {
  const file = join(dir, TABLE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return SlotTable.fromJSON(JSON.parse(readFileSync(file, "utf8")));
  } catch (err) {
    log.warn({ err, file }, "ignoring an unreadable cluster table");
    return undefined;
  }
}

function saveTable(dir: string, table: SlotTable): void {
  const file = join(dir, TABLE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(table));
  renameSync(`${file}.tmp`, file);
}
