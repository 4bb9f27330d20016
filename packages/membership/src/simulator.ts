import type { Clock, Timer } from "./clock.js";
import { engineOf, Membership } from "./membership.js";
import { MemoryNetwork, type MemoryNetworkStats } from "./memory-transport.js";
import type { MembershipOptions } from "./options.js";
import { createSeededRng, type Rng } from "./rng.js";
import type { Member, MembershipEventName } from "./types.js";
import { VirtualClock } from "./virtual-clock.js";

/** Membership options the simulator lets you set (it supplies name, transport, clock, rng). */
export type SimNodeOptions = Omit<MembershipOptions, "name" | "transport" | "clock" | "rng">;

export interface SimulatorOptions {
  /** Seed of every random choice (network and nodes). Default 1. */
  seed?: number;
  /** One-way latency of every link. Default 1 ms. */
  latencyMs?: number;
  /** Uniform extra delay per packet in [0, jitterMs). Default 1 ms. */
  jitterMs?: number;
  /** Datagram loss probability on every link. Default 0. */
  loss?: number;
  /** Options applied to every node (per-node options override them). */
  defaults?: SimNodeOptions;
}

/** An event seen by one simulated node about another. */
export interface SimEvent {
  at: number;
  observer: string;
  event: MembershipEventName;
  member: Member;
}

const EVENTS: readonly MembershipEventName[] = ["join", "update", "suspect", "alive", "dead", "left", "reap"];

/** One simulated process: gates its timers and its I/O, so it can be paused or killed. */
class SimProcess {
  paused = false;
  killed = false;
  /** Extra delay before each incoming packet or reply is handled (a CPU-starved process). */
  ioDelayMs = 0;
  private deferredTimers: (() => void)[] = [];
  private deferredIo: (() => void)[] = [];
  readonly clock: Clock;

  constructor(private readonly base: VirtualClock) {
    this.clock = {
      now: () => base.now(),
      setTimeout: (fn, delayMs): Timer => {
        let cancelled = false;
        const inner = base.setTimeout(() => this.runTimer(() => !cancelled && fn()), delayMs);
        return {
          cancel: () => {
            cancelled = true;
            inner.cancel();
          },
        };
      },
    };
  }

  private runTimer(fn: () => void): void {
    if (this.killed) return;
    if (this.paused) this.deferredTimers.push(fn);
    else fn();
  }

  readonly gate = (fn: () => void): void => {
    if (this.killed) return;
    if (this.ioDelayMs > 0) this.base.setTimeout(() => this.runIo(fn), this.ioDelayMs);
    else this.runIo(fn);
  };

  private runIo(fn: () => void): void {
    if (this.killed) return;
    if (this.paused) this.deferredIo.push(fn);
    else fn();
  }

  /** Resumes like an event loop after SIGCONT: expired timers first, then pending I/O. */
  resume(): void {
    this.paused = false;
    const timers = this.deferredTimers;
    const io = this.deferredIo;
    this.deferredTimers = [];
    this.deferredIo = [];
    for (const fn of timers) if (!this.killed) fn();
    for (const fn of io) if (!this.killed) fn();
  }
}

interface SimNode {
  name: string;
  address: string;
  membership: Membership;
  process: SimProcess;
  attached: boolean;
}

/**
 * A deterministic cluster simulator: real `Membership` instances (the real protocol code) on
 * a {@link MemoryNetwork} over a {@link VirtualClock}, with a seeded RNG. Supports latency,
 * loss, partitions, process pauses, kills and restarts. With the same seed and the same
 * calls, a run is identical every time.
 *
 * ```ts
 * const sim = new Simulator({ seed: 7 });
 * const a = await sim.addNode("a");
 * const b = await sim.addNode("b");
 * void b.join([a.address]);
 * sim.run(5_000);
 * sim.converged(); // true
 * ```
 */
export class Simulator {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  private readonly rng: Rng;
  private readonly defaults: SimNodeOptions;
  private readonly nodesByName = new Map<string, SimNode>();
  private readonly listeners: ((e: SimEvent) => void)[] = [];
  private hostCounter = 0;
  private readonly hosts = new Map<string, string>();

  constructor(opts: SimulatorOptions = {}) {
    this.clock = new VirtualClock();
    this.rng = createSeededRng(opts.seed ?? 1);
    this.network = new MemoryNetwork({
      clock: this.clock,
      rng: createSeededRng(Math.floor(this.rng() * 2 ** 32)),
      latencyMs: opts.latencyMs ?? 1,
      jitterMs: opts.jitterMs ?? 1,
      loss: opts.loss ?? 0,
    });
    this.defaults = opts.defaults ?? {};
  }

  /** Virtual time in ms since the simulator was created. */
  get now(): number {
    return this.clock.now();
  }

  /** The host (IP) a node name runs on; stable across restarts. */
  host(name: string): string {
    let h = this.hosts.get(name);
    if (h === undefined) {
      const i = ++this.hostCounter;
      h = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Creates and starts a node (alone: call `join`). `port` defaults to 7946. */
  async addNode(name: string, opts: SimNodeOptions & { port?: number } = {}): Promise<Membership> {
    const existing = this.nodesByName.get(name);
    if (existing !== undefined && !existing.process.killed) throw new Error(`node ${name} is running`);
    const { port = 7946, ...rest } = opts;
    const address = `${this.host(name)}:${port}`;
    const process = new SimProcess(this.clock);
    const membership = new Membership({
      ...this.defaults,
      ...rest,
      name,
      transport: this.network.createTransport(address, process.gate),
      clock: process.clock,
      rng: createSeededRng(Math.floor(this.rng() * 2 ** 32)),
    });
    await membership.start();
    const node: SimNode = { name, address, membership, process, attached: false };
    this.nodesByName.set(name, node);
    if (this.listeners.length > 0) this.attach(node);
    return membership;
  }

  /** Forwards a node's events to the simulator's listeners (only once someone listens). */
  private attach(node: SimNode): void {
    if (node.attached) return;
    node.attached = true;
    for (const event of EVENTS) {
      node.membership.on(event, (member) => {
        const e: SimEvent = { at: this.clock.now(), observer: node.name, event, member };
        for (const l of this.listeners) l(e);
      });
    }
  }

  /**
   * Adds `count` nodes named `${prefix}${i}`, each joining through the first node (or
   * `seed`), `staggerMs` apart in virtual time. Returns them; run the clock to converge.
   */
  async addCluster(
    count: number,
    opts: SimNodeOptions & { prefix?: string; staggerMs?: number; seed?: string } = {},
  ): Promise<Membership[]> {
    const { prefix = "n", staggerMs = 10, seed, ...nodeOpts } = opts;
    const out: Membership[] = [];
    for (let i = 0; i < count; i++) {
      const m = await this.addNode(`${prefix}${i}`, nodeOpts);
      const seedAddr = seed !== undefined ? this.node(seed).address : out[0]?.address;
      if (seedAddr !== undefined) m.join([seedAddr]).catch(() => {});
      out.push(m);
      if (staggerMs > 0) this.run(staggerMs);
    }
    return out;
  }

  /** The running node called `name`. */
  node(name: string): Membership {
    const n = this.nodesByName.get(name);
    if (n === undefined || n.process.killed || n.membership.status === "closed") {
      throw new Error(`no running node ${name}`);
    }
    return n.membership;
  }

  /** Every node that is running (or has left but is not closed yet), not killed. */
  nodes(): Membership[] {
    return [...this.nodesByName.values()]
      .filter((n) => !n.process.killed && n.membership.status !== "closed")
      .map((n) => n.membership);
  }

  /** Calls `listener` for every event any node emits. Returns an unsubscribe function. */
  onEvent(listener: (e: SimEvent) => void): () => void {
    this.listeners.push(listener);
    for (const n of this.nodesByName.values()) if (!n.process.killed) this.attach(n);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Advances virtual time by `ms`, running everything due. */
  run(ms: number): void {
    this.clock.advance(ms);
  }

  /** Advances until `predicate()` holds (checked every `checkEveryMs`), at most `timeoutMs`. */
  runUntil(predicate: () => boolean, timeoutMs: number, checkEveryMs = 100): boolean {
    return this.clock.runUntil(predicate, timeoutMs, checkEveryMs);
  }

  /** Crashes a node: no leave, its sockets vanish (TCP connects are refused), its timers stop. */
  kill(name: string): void {
    const n = this.nodesByName.get(name);
    if (n === undefined || n.process.killed) return;
    n.process.killed = true;
    void n.membership.close();
  }

  /** Kills `name` if running and starts it again under the same name on `port` (default: a new one). */
  async restart(name: string, opts: SimNodeOptions & { port?: number } = {}): Promise<Membership> {
    const old = this.nodesByName.get(name);
    const oldPort = old === undefined ? 7946 : Number(old.address.slice(old.address.lastIndexOf(":") + 1));
    this.kill(name);
    return this.addNode(name, { ...opts, port: opts.port ?? oldPort + 1 });
  }

  /** Freezes a node's process (like SIGSTOP); for `ms` if given, else until `resume`. */
  pause(name: string, ms?: number): void {
    const n = this.nodesByName.get(name);
    if (n === undefined || n.process.killed) return;
    n.process.paused = true;
    if (ms !== undefined) this.clock.setTimeout(() => n.process.resume(), ms);
  }

  resume(name: string): void {
    this.nodesByName.get(name)?.process.resume();
  }

  /**
   * Makes a node slow to handle input: every packet and reply it receives waits `delayMs`
   * more before it is handled, while its timers keep time (Lifeguard's "slow node"). 0 ends it.
   */
  slow(name: string, delayMs: number): void {
    const n = this.nodesByName.get(name);
    if (n !== undefined) n.process.ioDelayMs = Math.max(0, delayMs);
  }

  /** Splits the named nodes into groups that cannot talk to each other. */
  partition(...groups: readonly (readonly string[])[]): void {
    this.network.partition(...groups.map((g) => g.map((name) => this.host(name))));
  }

  /** Lifts every partition. */
  heal(): void {
    this.network.heal();
  }

  /** Sets the datagram loss probability of every link. */
  setLoss(loss: number): void {
    this.network.setConditions({ loss });
  }

  /**
   * True when every running node (or each of `names`) sees exactly the running nodes (or
   * `names`) as alive, and no other member as alive or suspect.
   */
  converged(names?: readonly string[]): boolean {
    const group = names ?? this.nodes().map((m) => m.name);
    const want = new Set(group);
    for (const name of group) {
      const table = engineOf(this.node(name)).table;
      let alive = 0;
      for (const member of table.nodes.values()) {
        const up = member.state === "alive" || member.state === "suspect";
        if (want.has(member.name)) {
          if (member.state !== "alive") return false;
          alive++;
        } else if (up) return false;
      }
      if (alive !== want.size) return false;
    }
    return true;
  }

  /** Network counters (packets sent, lost, blocked, bytes). */
  networkStats(): MemoryNetworkStats {
    return { ...this.network.stats };
  }

  /** Closes every node. */
  async close(): Promise<void> {
    for (const n of this.nodesByName.values()) {
      n.process.killed = true;
      await n.membership.close();
    }
  }
}
