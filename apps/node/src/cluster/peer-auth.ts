import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";

/** Metadata key carrying a peer's proof that it knows the cluster secret. */
export const PEER_AUTH_HEADER = "x-plz-cache-peer-auth";

/** How far apart two nodes' clocks may be for a token to be accepted. Default 5 min. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/**
 * Peer authentication without TLS: each node-to-node call carries
 * `v1.<unix ms>.<HMAC-SHA256(key, "v1|<method path>|<unix ms>")>`, the key derived from the
 * cluster secret with HKDF-SHA256 (info `plz-cache peer auth v1`), so the secret itself
 * never crosses the wire and a token is good for one method within the skew window.
 */
export class PeerAuth {
  readonly #key: Buffer;
  readonly #maxSkewMs: number;
  readonly #now: () => number;

  constructor(secret: string, opts: { maxSkewMs?: number; now?: () => number } = {}) {
    this.#key = Buffer.from(hkdfSync("sha256", secret, "plz-cache", "plz-cache peer auth v1", 32));
    this.#maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.#now = opts.now ?? Date.now;
  }

  #mac(path: string, ts: string): Buffer {
    return createHmac("sha256", this.#key).update(`v1|${path}|${ts}`).digest();
  }

  token(path: string): string {
    const ts = String(this.#now());
    return `v1.${ts}.${this.#mac(path, ts).toString("hex")}`;
  }

  /** Metadata for one call to `path` (e.g. `/proto.rpc_cache.RpcServer/Replicate`). */
  metadata(path: string): Metadata {
    const md = new Metadata();
    md.set(PEER_AUTH_HEADER, this.token(path));
    return md;
  }

  verify(path: string, token: string | undefined): boolean {
    if (!token) return false;
    const m = /^v1\.(\d{1,16})\.([0-9a-f]{64})$/.exec(token);
    if (!m) return false;
    const ts = m[1]!;
    if (Math.abs(this.#now() - Number(ts)) > this.#maxSkewMs) return false;
    return timingSafeEqual(this.#mac(path, ts), Buffer.from(m[2]!, "hex"));
  }
}
