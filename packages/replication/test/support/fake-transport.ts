import type { ReplicateOp, ReplicationTransport } from "../../src/transport.js";
import type { FakeClock } from "./fake-clock.js";

export interface Call {
  readonly peer: string;
  readonly op: ReplicateOp;
  readonly at: number;
  readonly signal: AbortSignal;
}

/** Decides how one call ends: resolve (ok), reject, or hang until its promise settles. */
export type Handler = (call: Call, index: number) => Promise<void> | void;

/** A transport that records every call and answers with `handler` (default: success). */
export class FakeTransport implements ReplicationTransport {
  readonly calls: Call[] = [];
  handler: Handler;
  readonly #clock: FakeClock | undefined;

  constructor(handler: Handler = () => {}, clock?: FakeClock) {
    this.handler = handler;
    this.#clock = clock;
  }

  async replicate(peer: string, op: ReplicateOp, signal: AbortSignal): Promise<void> {
    const call = { peer, op, at: this.#clock?.now() ?? 0, signal };
    this.calls.push(call);
    await this.handler(call, this.calls.length - 1);
  }

  callsTo(peer: string): Call[] {
    return this.calls.filter((c) => c.peer === peer);
  }
}

/** A promise to settle by hand. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
