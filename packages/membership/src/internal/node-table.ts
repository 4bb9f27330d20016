/**
 * The membership state machine: what we believe about every node, and how alive, suspect
 * and dead news (gossiped or pushed in a full-state sync) changes it. It follows memberlist's
 * state.go: incarnation numbers order news about a node; only the node itself raises its
 * incarnation (to refute); a suspicion becomes a death when its Lifeguard timer runs out.
 *
 * Deliberate differences from memberlist: an alive message with a *higher* incarnation and a
 * different address is a restart on a new address and is accepted (memberlist logs a
 * conflict unless the old entry is dead); a graceful leave may overwrite a death at the same
 * incarnation; dead and left entries are reaped on a timer (`deadReapMs`).
 */
import type { AliveMessage, DeadMessage, Meta, PushNodeState, SuspectMessage } from "./codec.js";
import { encodeMessage } from "./codec.js";
import type { Core, NodeState } from "./core.js";
import { Suspicion, suspicionTimeout } from "./suspicion.js";

export function sameMeta(a: Meta, b: Meta): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class NodeTable {
  readonly nodes = new Map<string, NodeState>();
  /** Probe order: a random permutation, reshuffled at each wrap-around. */
  private order: NodeState[] = [];
  private probeIndex = 0;
  private readonly suspicions = new Map<string, Suspicion>();
  /** Dead and left nodes, for reaping. */
  private readonly gone = new Set<NodeState>();
  /** Set by leave(): we no longer refute our own death and ignore news that we are alive. */
  leaving = false;
  private selfState: NodeState | undefined;

  constructor(private readonly core: Core) {}

  get self(): NodeState {
    if (this.selfState === undefined) throw new Error("node table not initialised");
    return this.selfState;
  }

  get selfName(): string {
    return this.core.cfg.name;
  }

  /** Number of nodes we know, ourselves and not-yet-reaped dead ones included. */
  get size(): number {
    return this.nodes.size;
  }

  /** Creates our own entry, alive at incarnation 1. */
  initSelf(addr: string, meta: Meta): void {
    this.aliveNode({ type: "alive", incarnation: 1, node: this.selfName, addr, meta }, true);
    this.selfState = this.nodes.get(this.selfName);
  }

  private broadcast(
    name: string,
    msg: AliveMessage | SuspectMessage | DeadMessage,
    onDone?: () => void,
  ): void {
    this.core.queue.queue(name, encodeMessage(msg), onDone);
  }

  private insert(state: NodeState): void {
    this.nodes.set(state.name, state);
    // Insert at a random position so that a new node is not always probed last.
    const n = this.order.length;
    const offset = Math.floor(this.core.rng() * (n + 1));
    this.order.push(state);
    if (offset < n) {
      const other = this.order[offset]!;
      this.order[offset] = state;
      this.order[n] = other;
    }
  }

  private cancelSuspicion(name: string): void {
    const s = this.suspicions.get(name);
    if (s !== undefined) {
      s.cancel();
      this.suspicions.delete(name);
    }
  }

  private setState(node: NodeState, state: NodeState["state"]): void {
    if (node.state === state) return;
    node.state = state;
    node.stateChangeAt = this.core.clock.now();
    if (state === "dead" || state === "left") this.gone.add(node);
    else this.gone.delete(node);
  }

  /**
   * Raises our incarnation above `accusedInc` and broadcasts that we are alive. Having to
   * refute is a sign of poor local health (Lifeguard), so the health score goes up.
   */
  refute(accusedInc: number): void {
    const me = this.self;
    me.incarnation = Math.max(me.incarnation + 1, accusedInc + 1) >>> 0;
    this.core.awareness.apply(1);
    this.core.counters.refutations++;
    this.core.log.debug({ incarnation: me.incarnation }, "refuting an accusation");
    this.broadcast(me.name, {
      type: "alive",
      incarnation: me.incarnation,
      node: me.name,
      addr: me.addr,
      meta: me.meta,
    });
  }

  /** Raises our incarnation and broadcasts our (new) metadata or address. */
  announceSelf(): void {
    const me = this.self;
    me.incarnation = (me.incarnation + 1) >>> 0;
    this.broadcast(me.name, {
      type: "alive",
      incarnation: me.incarnation,
      node: me.name,
      addr: me.addr,
      meta: me.meta,
    });
  }

  aliveNode(a: AliveMessage, bootstrap = false): void {
    const isLocal = a.node === this.selfName;
    if (isLocal && this.leaving) return;
    let node = this.nodes.get(a.node);
    let isNew = false;
    if (node === undefined) {
      node = {
        name: a.node,
        addr: a.addr,
        meta: a.meta,
        incarnation: a.incarnation,
        state: "dead",
        stateChangeAt: this.core.clock.now(),
      };
      this.insert(node);
      isNew = true;
    } else if (node.addr !== a.addr && a.incarnation <= node.incarnation && !isLocal) {
      this.core.log.warn({ peer: a.node, ours: node.addr, theirs: a.addr }, "conflicting address for a node");
      return;
    }
    if (!isNew && !isLocal && a.incarnation <= node.incarnation) return;
    if (isLocal && !bootstrap && a.incarnation < node.incarnation) return;

    this.cancelSuspicion(a.node);

    if (isLocal && !bootstrap) {
      // News about ourselves that is not exactly what we say: refute it.
      if (a.incarnation === node.incarnation && a.addr === node.addr && sameMeta(a.meta, node.meta)) return;
      this.refute(a.incarnation);
      return;
    }

    const oldState = node.state;
    const changed = node.addr !== a.addr || !sameMeta(node.meta, a.meta);
    this.broadcast(a.node, a);
    node.incarnation = a.incarnation;
    node.addr = a.addr;
    node.meta = a.meta;
    this.setState(node, "alive");

    if (isLocal) return;
    if (isNew || oldState === "dead" || oldState === "left") this.core.emit("join", node);
    else {
      if (oldState === "suspect") this.core.emit("alive", node);
      if (changed) this.core.emit("update", node);
    }
  }

  suspectNode(s: SuspectMessage): void {
    const node = this.nodes.get(s.node);
    if (node === undefined || s.incarnation < node.incarnation) return;

    // Another peer confirms a suspicion we hold: Lifeguard shortens the timer.
    const timer = this.suspicions.get(s.node);
    if (timer !== undefined) {
      if (timer.confirm(s.from)) this.broadcast(s.node, s);
      return;
    }
    if (node.state !== "alive") return;
    if (s.node === this.selfName) {
      this.core.log.warn({ from: s.from }, "refuting a suspicion about us");
      this.refute(s.incarnation);
      return;
    }
    this.broadcast(s.node, s);
    node.incarnation = s.incarnation;
    this.setState(node, "suspect");
    const changeTime = node.stateChangeAt;

    const { cfg } = this.core;
    const n = this.nodes.size;
    // Aim for the minimum timeout two probe periods short of suspicionMult's nominal one.
    let k = cfg.lifeguard ? cfg.suspicionMult - 2 : 0;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(cfg.suspicionMult, n, cfg.probeIntervalMs);
    const max = cfg.lifeguard ? cfg.suspicionMaxTimeoutMult * min : min;
    const suspicion = new Suspicion(this.core.clock, s.from, k, min, max, (confirmations) => {
      if (this.suspicions.get(s.node) === suspicion) this.suspicions.delete(s.node);
      if (node.state !== "suspect" || node.stateChangeAt !== changeTime || this.nodes.get(node.name) !== node)
        return;
      this.core.log.info({ peer: node.name, confirmations }, "suspicion timed out: marking dead");
      this.deadNode({ type: "dead", incarnation: node.incarnation, node: node.name, from: this.selfName });
    });
    this.suspicions.set(s.node, suspicion);
    this.core.emit("suspect", node);
  }

  /** `onDone` (used by leave) runs when the resulting broadcast has gone out. */
  deadNode(d: DeadMessage, onDone?: () => void): void {
    const node = this.nodes.get(d.node);
    if (node === undefined || d.incarnation < node.incarnation) {
      onDone?.();
      return;
    }
    const isLeave = d.from === d.node;
    this.cancelSuspicion(d.node);
    if (node.state === "left" || (node.state === "dead" && !isLeave)) {
      onDone?.();
      return;
    }
    if (d.node === this.selfName) {
      if (!this.leaving) {
        this.core.log.warn({ from: d.from }, "refuting a death notice about us");
        this.refute(d.incarnation);
        onDone?.();
        return;
      }
    }
    this.broadcast(d.node, d, onDone);
    node.incarnation = d.incarnation;
    this.setState(node, isLeave ? "left" : "dead");
    if (d.node !== this.selfName) this.core.emit(isLeave ? "left" : "dead", node);
  }

  /**
   * Merges a peer's full state (push-pull). A remote death only makes us suspect. What is
   * news to us is re-gossiped, as memberlist does: in a mass join it is what spreads recent
   * joiners fastest.
   */
  mergeRemote(remote: readonly PushNodeState[]): void {
    for (const r of remote) {
      switch (r.state) {
        case "alive":
          this.aliveNode({
            type: "alive",
            incarnation: r.incarnation,
            node: r.name,
            addr: r.addr,
            meta: r.meta,
          });
          break;
        case "left":
          this.deadNode({ type: "dead", incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        case "dead":
        case "suspect":
          this.suspectNode({
            type: "suspect",
            incarnation: r.incarnation,
            node: r.name,
            from: this.selfName,
          });
          break;
      }
    }
  }

  /** Our full state, for push-pull. */
  localState(): PushNodeState[] {
    const out: PushNodeState[] = [];
    for (const n of this.nodes.values()) {
      out.push({ name: n.name, addr: n.addr, incarnation: n.incarnation, state: n.state, meta: n.meta });
    }
    return out;
  }

  /** The next node to probe in random round-robin order, or undefined if none. */
  nextProbeTarget(): NodeState | undefined {
    let checked = 0;
    while (checked <= this.order.length) {
      if (this.probeIndex >= this.order.length) {
        this.shuffle();
        this.probeIndex = 0;
        checked++;
        continue;
      }
      const node = this.order[this.probeIndex++]!;
      if (node.name === this.selfName || node.state === "dead" || node.state === "left") {
        checked++;
        continue;
      }
      return node;
    }
    return undefined;
  }

  private shuffle(): void {
    const a = this.order;
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.core.rng() * (i + 1));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  /** Up to `k` distinct random nodes that pass `accept` (memberlist's kRandomNodes). */
  randomNodes(k: number, accept: (n: NodeState) => boolean): NodeState[] {
    const out: NodeState[] = [];
    const n = this.order.length;
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = this.order[Math.floor(this.core.rng() * n)]!;
      if (!accept(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }

  /** Forgets dead and left nodes whose state is older than `deadReapMs`. */
  reap(): void {
    const now = this.core.clock.now();
    const reapMs = this.core.cfg.deadReapMs;
    for (const node of this.gone) {
      if (node.name === this.selfName || now - node.stateChangeAt < reapMs) continue;
      this.gone.delete(node);
      this.nodes.delete(node.name);
      const i = this.order.indexOf(node);
      if (i >= 0) {
        this.order.splice(i, 1);
        if (i < this.probeIndex) this.probeIndex--;
      }
      this.core.emit("reap", node);
    }
  }

  /** Stops every suspicion timer (on close). */
  stop(): void {
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
  }
}
