import { MembershipError } from "./errors.js";
import { formatHostPort, parseHostPort } from "./internal/address.js";
import { encodeMeta, MAX_META_BYTES, type Meta } from "./internal/codec.js";
import { type Config, resolveConfig } from "./internal/config.js";
import type { NodeState } from "./internal/core.js";
import { Emitter } from "./internal/emitter.js";
import { Engine } from "./internal/engine.js";
import { DEFAULT_LEAVE_TIMEOUT_MS, DEFAULT_PORT, type MembershipOptions } from "./options.js";
import type { Transport } from "./transport.js";
import type { Member, MembershipEventName, MembershipEvents, MembershipStats } from "./types.js";
import { createUdpTransport } from "./udp-transport.js";

/** Lifecycle of a {@link Membership}: `new` → `starting` → `running` → (`left` →) `closed`. */
export type MembershipStatus = "new" | "starting" | "running" | "left" | "closed";
type Phase = MembershipStatus;

const engines = new WeakMap<Membership, Engine>();

/** Package-internal: the engine behind a Membership (the simulator reads the table directly). */
export function engineOf(m: Membership): Engine {
  const e = engines.get(m);
  if (e === undefined) throw new Error("not a Membership");
  return e;
}

function checkMeta(meta: Record<string, string>): Meta {
  if (meta === null || typeof meta !== "object") {
    throw new MembershipError("META_TOO_LARGE", "meta must be an object of strings");
  }
  const copy: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== "string" || k.length === 0 || Buffer.byteLength(k) > 255) {
      throw new MembershipError(
        "META_TOO_LARGE",
        `meta entry ${JSON.stringify(k)} must be a string under a 1..255 byte key`,
      );
    }
    copy[k] = v;
  }
  const size = encodeMeta(copy).length;
  if (size > MAX_META_BYTES) {
    throw new MembershipError(
      "META_TOO_LARGE",
      `meta encodes to ${size} bytes; the limit is ${MAX_META_BYTES}`,
    );
  }
  return Object.freeze(copy);
}

function snapshot(node: NodeState): Member {
  return Object.freeze({
    name: node.name,
    address: node.addr,
    meta: node.meta,
    state: node.state,
    incarnation: node.incarnation,
  });
}

/**
 * SWIM gossip membership with the Lifeguard extensions (a re-implementation of
 * hashicorp/memberlist's protocol). See the package README for the guarantees.
 *
 * ```ts
 * const m = new Membership({ name: "cache-1", bindPort: 7946, meta: { grpc: "10.0.0.1:7677" } });
 * m.on("dead", (member) => console.log(member.name, "failed"));
 * await m.start();
 * await m.join(["10.0.0.2:7946"]);
 * ```
 */
export class Membership {
  private readonly cfg: Config;
  private readonly engine: Engine;
  private readonly emitter: Emitter<MembershipEvents>;
  private readonly transport: Transport;
  private meta: Meta;
  private phase: Phase = "new";
  private advertised: string | undefined;

  constructor(opts: MembershipOptions) {
    this.cfg = resolveConfig(opts);
    this.meta = checkMeta(opts.meta ?? {});
    this.emitter = new Emitter(this.cfg.logger);
    this.transport =
      opts.transport ??
      createUdpTransport({
        bindHost: this.cfg.bindHost,
        bindPort: this.cfg.bindPort,
        clock: this.cfg.clock,
        logger: this.cfg.logger,
      });
    this.engine = new Engine(this.cfg, this.transport, (event, node) => this.forward(event, node));
    engines.set(this, this.engine);
  }

  private forward(event: MembershipEventName, node: NodeState): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, snapshot(node));
  }

  /** Where this instance is in its lifecycle. */
  get status(): MembershipStatus {
    return this.phase;
  }

  /** This node's name. */
  get name(): string {
    return this.cfg.name;
  }

  /** The gossip address (`host:port`) we advertise; known once `start()` resolved. */
  get address(): string {
    if (this.advertised === undefined) throw new MembershipError("NOT_STARTED", "start() has not completed");
    return this.advertised;
  }

  /** Binds the transport and starts probing and gossiping (alone, until `join`). */
  async start(): Promise<void> {
    if (this.phase !== "new") {
      throw new MembershipError(
        this.phase === "closed" ? "CLOSED" : "ALREADY_STARTED",
        "start() may be called once",
      );
    }
    this.phase = "starting";
    let bound: string;
    try {
      bound = await this.transport.start(this.engine.handler);
    } catch (err) {
      this.phase = "closed";
      throw err instanceof MembershipError
        ? err
        : new MembershipError("BIND_FAILED", "could not bind the transport", { cause: err });
    }
    const parsed = parseHostPort(bound);
    if (parsed === undefined)
      throw new MembershipError("BIND_FAILED", `transport returned a bad address ${bound}`);
    this.advertised = formatHostPort(
      this.cfg.advertiseHost ?? parsed.host,
      this.cfg.advertisePort ?? parsed.port,
    );
    if (parseHostPort(this.advertised) === undefined) {
      throw new MembershipError("INVALID_ADDRESS", `cannot advertise ${this.advertised}`);
    }
    if (this.phase !== "starting") return; // closed while binding
    this.phase = "running";
    this.engine.begin(this.advertised, this.meta);
    this.cfg.logger.info({ node: this.cfg.name, address: this.advertised }, "membership started");
  }

  /**
   * Joins the cluster through any of `seeds` (`host:port`, or a host with the default port
   * 7946) by a full state exchange with each one that answers. A seed that is down is
   * skipped; if none answers, the whole list is retried with exponential backoff
   * (`joinAttempts` rounds). Resolves with the number of seeds contacted (0 for an empty list,
   * as the first node of a cluster does); rejects with `JOIN_FAILED` if none ever answered.
   */
  join(seeds: readonly string[]): Promise<number> {
    if (this.phase !== "running") {
      return Promise.reject(
        new MembershipError(this.phase === "new" ? "NOT_STARTED" : "CLOSED", "not running"),
      );
    }
    const targets: string[] = [];
    for (const seed of seeds) {
      const hp = parseHostPort(seed.trim(), DEFAULT_PORT);
      if (hp === undefined)
        return Promise.reject(
          new MembershipError("INVALID_ADDRESS", `bad seed address ${JSON.stringify(seed)}`),
        );
      const addr = formatHostPort(hp.host, hp.port);
      if (addr !== this.advertised && !targets.includes(addr)) targets.push(addr);
    }
    return new Promise((resolve, reject) => {
      this.engine.join(targets, (contacted, lastError) => {
        if (contacted > 0 || targets.length === 0) resolve(contacted);
        else
          reject(
            new MembershipError("JOIN_FAILED", `no seed of ${targets.join(", ")} answered`, {
              cause: lastError,
            }),
          );
      });
    });
  }

  /**
   * Leaves gracefully: broadcasts a `left` notice (which peers never take for a failure)
   * and waits until it has been gossiped, or `timeoutMs` (default 5000) has passed. Probing
   * stops; the node keeps answering until `close()`.
   */
  leave(timeoutMs = DEFAULT_LEAVE_TIMEOUT_MS): Promise<void> {
    if (this.phase !== "running") return Promise.resolve();
    this.phase = "left";
    return new Promise((resolve) => this.engine.leave(timeoutMs, resolve));
  }

  /**
   * Stops every timer and closes the sockets, at once and without telling anyone (peers
   * will detect the failure). Call `leave()` first for a graceful departure. Idempotent.
   */
  async close(): Promise<void> {
    if (this.phase === "closed") return;
    this.phase = "closed";
    await this.engine.shutdown();
  }

  /** `leave()` (if running), then `close()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
    await this.close();
  }

  /**
   * Replaces our metadata and disseminates it (raising our incarnation). Throws
   * `META_TOO_LARGE` when it encodes to more than 512 bytes.
   */
  setMeta(meta: Record<string, string>): void {
    const checked = checkMeta(meta);
    this.meta = checked;
    if (this.phase === "running") {
      this.engine.table.self.meta = checked;
      this.engine.table.announceSelf();
    } else if (this.phase !== "new") {
      throw new MembershipError("CLOSED", "cannot change meta after leave() or close()");
    }
  }

  /** Every member we know, ourselves included, in any state (dead and left until reaped). */
  members(): Member[] {
    if (this.phase === "new" || this.phase === "starting") return [];
    return [...this.engine.table.nodes.values()].map(snapshot);
  }

  /** Members believed to be up (alive or suspect), ourselves included. */
  aliveMembers(): Member[] {
    return this.members().filter((m) => m.state === "alive" || m.state === "suspect");
  }

  /** One member by name, if known. */
  member(name: string): Member | undefined {
    if (this.phase === "new" || this.phase === "starting") return undefined;
    const node = this.engine.table.nodes.get(name);
    return node === undefined ? undefined : snapshot(node);
  }

  /** Ourselves. */
  localMember(): Member {
    if (this.phase === "new" || this.phase === "starting") {
      throw new MembershipError("NOT_STARTED", "start() has not completed");
    }
    return snapshot(this.engine.table.self);
  }

  /** Lifeguard's local health score: 0 is healthy, higher means we doubt ourselves. */
  healthScore(): number {
    return this.engine.awareness.score;
  }

  /** Traffic and protocol counters since start. */
  stats(): MembershipStats {
    const c = this.engine.counters;
    return {
      ...c,
      dropped: { ...c.dropped },
      healthScore: this.engine.awareness.score,
      queuedBroadcasts: this.engine.queue.size,
    };
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends MembershipEventName>(event: E, listener: MembershipEvents[E]): () => void {
    return this.emitter.on(event, listener);
  }

  /** Unsubscribes a listener added with `on`. */
  off<E extends MembershipEventName>(event: E, listener: MembershipEvents[E]): void {
    this.emitter.off(event, listener);
  }
}
