/**
 * Dissemination and anti-entropy. Every `gossipIntervalMs` we send queued broadcasts to
 * `gossipNodes` random members (alive, suspect, or dead for less than `gossipToTheDeadMs`,
 * so a wrongly declared node hears of it and refutes). Every `pushPullIntervalMs` (scaled up
 * past 32 members, like memberlist's pushPullScale) we exchange full state with one random
 * alive member over TCP, which heals lost messages. In the same tick we also try one random
 * member we believe dead (as Serf's reconnect does; memberlist alone does not), so the two
 * sides of a healed partition find each other again. Joining is a push-pull with each seed.
 */
import type { Timer } from "../clock.js";
import type { PushNodeState } from "./codec.js";
import { encodeMessage } from "./codec.js";
import type { Core } from "./core.js";
import type { NodeTable } from "./node-table.js";

const PUSH_PULL_SCALE_THRESHOLD = 32;
/** Keep at most max(this, 2n) broadcasts queued; the oldest are dropped first. */
const MIN_QUEUE_DEPTH = 1024;

/** memberlist's pushPullScale: the interval grows with log2(n) past 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return intervalMs * multiplier;
}

export class Gossiper {
  private gossipTimer: Timer | undefined;
  private pushPullTimer: Timer | undefined;
  private running = false;

  constructor(
    private readonly core: Core,
    private readonly table: NodeTable,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { cfg, clock, rng } = this.core;
    this.gossipTimer = clock.setTimeout(() => this.gossipTick(), rng() * cfg.gossipIntervalMs);
    if (cfg.pushPullIntervalMs > 0) {
      this.pushPullTimer = clock.setTimeout(() => this.pushPullTick(), rng() * cfg.pushPullIntervalMs);
    }
  }

  stop(): void {
    this.running = false;
    this.gossipTimer?.cancel();
    this.pushPullTimer?.cancel();
  }

  private gossipTick(): void {
    if (!this.running || this.core.closed) return;
    this.gossip();
    this.gossipTimer = this.core.clock.setTimeout(() => this.gossipTick(), this.core.cfg.gossipIntervalMs);
  }

  /** One gossip round. */
  gossip(): void {
    const { core, table } = this;
    core.queue.prune(Math.max(MIN_QUEUE_DEPTH, 2 * table.size));
    if (core.queue.size === 0) return;
    const now = core.clock.now();
    const self = table.selfName;
    const targets = table.randomNodes(core.cfg.gossipNodes, (n) => {
      if (n.name === self) return false;
      if (n.state === "alive" || n.state === "suspect") return true;
      return n.state === "dead" && now - n.stateChangeAt <= core.cfg.gossipToTheDeadMs;
    });
    for (const node of targets) {
      if (!core.sendGossip(node.addr)) return;
    }
  }

  private pushPullTick(): void {
    if (!this.running || this.core.closed) return;
    const self = this.table.selfName;
    const [peer] = this.table.randomNodes(1, (n) => n.name !== self && n.state === "alive");
    const [lost] = this.table.randomNodes(1, (n) => n.name !== self && n.state === "dead");
    for (const node of [peer, lost]) {
      if (node === undefined) continue;
      this.pushPull(node.addr, false, (err) => {
        if (err !== undefined) this.core.log.debug({ peer: node.name, err: err.message }, "push-pull failed");
      });
    }
    const { cfg, clock } = this.core;
    this.pushPullTimer = clock.setTimeout(
      () => this.pushPullTick(),
      pushPullScale(cfg.pushPullIntervalMs, this.table.size),
    );
  }

  /** Full state exchange with the node at `addr`; `callback` gets an error or nothing. */
  pushPull(addr: string, join: boolean, callback: (err: Error | undefined) => void): void {
    const msg = encodeMessage({ type: "push-pull", join, nodes: this.table.localState() });
    this.core.request(addr, msg, this.core.cfg.tcpTimeoutMs, (err, reply) => {
      if (err !== undefined) return callback(err);
      const pp = reply?.find((m) => m.type === "push-pull");
      if (pp === undefined || pp.type !== "push-pull")
        return callback(new Error("push-pull: no state in the reply"));
      if (!this.core.closed) this.table.mergeRemote(pp.nodes);
      callback(undefined);
    });
  }

  /** Server side of push-pull: answers with our state, then merges theirs. */
  answerPushPull(remote: readonly PushNodeState[]): Uint8Array {
    const reply = encodeMessage({ type: "push-pull", join: false, nodes: this.table.localState() });
    this.table.mergeRemote(remote);
    return reply;
  }
}
