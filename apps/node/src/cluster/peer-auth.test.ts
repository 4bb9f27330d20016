import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_SKEW_MS, PeerAuth } from "./peer-auth.js";

const REPLICATE = "/proto.rpc_cache.RpcServer/Replicate";
const JOIN = "/proto.rpc_cache.RpcServer/Join";

describe("PeerAuth", () => {
  it("accepts a token made with the same secret for the same method", () => {
    const a = new PeerAuth("s3cret");
    const b = new PeerAuth("s3cret");
    expect(b.verify(REPLICATE, a.token(REPLICATE))).toBe(true);
  });

  it("refuses a token made with another secret, for another method, or mangled", () => {
    const a = new PeerAuth("s3cret");
    const b = new PeerAuth("s3cret");
    expect(b.verify(REPLICATE, new PeerAuth("other").token(REPLICATE))).toBe(false);
    expect(b.verify(JOIN, a.token(REPLICATE))).toBe(false);
    const token = a.token(REPLICATE);
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    expect(b.verify(REPLICATE, flipped)).toBe(false);
    expect(b.verify(REPLICATE, undefined)).toBe(false);
    expect(b.verify(REPLICATE, "")).toBe(false);
    expect(b.verify(REPLICATE, "v1.1.abc")).toBe(false);
  });

  it("refuses a token from outside the clock-skew window", () => {
    let now = 1_000_000_000;
    const a = new PeerAuth("s3cret", { now: () => now });
    const b = new PeerAuth("s3cret", { now: () => now });
    const token = a.token(REPLICATE);
    now += DEFAULT_MAX_SKEW_MS + 1;
    expect(b.verify(REPLICATE, token)).toBe(false);
  });

  it("accepts a token once: a replayed token is refused", () => {
    const a = new PeerAuth("s3cret");
    const b = new PeerAuth("s3cret");
    const token = a.token(REPLICATE);
    expect(b.verify(REPLICATE, token)).toBe(true);
    expect(b.verify(REPLICATE, token)).toBe(false);
    // Fresh tokens keep working.
    expect(b.verify(REPLICATE, a.token(REPLICATE))).toBe(true);
  });

  it("forgets nonces once their tokens could no longer be accepted anyway", () => {
    let now = 1_000_000_000;
    const a = new PeerAuth("s3cret", { now: () => now, maxSkewMs: 1_000 });
    const b = new PeerAuth("s3cret", { now: () => now, maxSkewMs: 1_000 });
    const old = a.token(REPLICATE);
    expect(b.verify(REPLICATE, old)).toBe(true);
    now += 2_001;
    // The old token is now refused by the skew check, and its nonce has been dropped.
    expect(b.verify(REPLICATE, a.token(REPLICATE))).toBe(true);
    expect(b.verify(REPLICATE, old)).toBe(false);
  });
});
