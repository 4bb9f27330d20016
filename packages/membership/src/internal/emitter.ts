import type { Logger } from "../types.js";

// biome-ignore lint/suspicious/noExplicitAny: listener signatures vary by event.
type AnyListener = (...args: any[]) => void;

/**
 * A small typed event emitter. Unlike node:events it has no special `error` event, and a
 * listener that throws is logged and skipped: a bug above us must not break the protocol.
 */
export class Emitter<Events extends { [K in keyof Events]: AnyListener }> {
  private readonly listeners = new Map<keyof Events, AnyListener[]>();

  constructor(private readonly log: Logger) {}

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return () => this.off(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        listener(...args);
      } catch (err) {
        this.log.error({ err, event: String(event) }, "membership event listener threw");
      }
    }
  }
}
