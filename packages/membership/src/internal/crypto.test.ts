import { describe, expect, it } from "vitest";
import { deriveKey, ENCRYPTED_VERSION, ENCRYPTION_OVERHEAD, Keyring } from "./crypto.js";

const plain = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

describe("Keyring", () => {
  it("derives a stable 32-byte key per secret", () => {
    expect(deriveKey("s3cret")).toHaveLength(32);
    expect(deriveKey("s3cret").equals(deriveKey("s3cret"))).toBe(true);
    expect(deriveKey("s3cret").equals(deriveKey("other"))).toBe(false);
  });

  it("encrypts to version byte, nonce, ciphertext and tag, and decrypts it back", () => {
    const k = new Keyring(["a"]);
    const sealed = k.encrypt(plain, "udp");
    expect(sealed[0]).toBe(ENCRYPTED_VERSION);
    expect(sealed.length).toBe(plain.length + ENCRYPTION_OVERHEAD);
    expect(Buffer.from(k.decrypt(sealed, "udp")!)).toEqual(Buffer.from(plain));
    // Fresh nonce each time.
    expect(Buffer.from(k.encrypt(plain, "udp")).equals(Buffer.from(sealed))).toBe(false);
  });

  it("rejects a wrong key, a tampered byte, a truncated packet and the other channel", () => {
    const k = new Keyring(["a"]);
    const sealed = k.encrypt(plain, "udp");
    expect(new Keyring(["b"]).decrypt(sealed, "udp")).toBeUndefined();
    for (let i = 1; i < sealed.length; i++) {
      const t = sealed.slice();
      t[i] = t[i]! ^ 0x01;
      expect(k.decrypt(t, "udp")).toBeUndefined();
    }
    expect(k.decrypt(sealed.subarray(0, sealed.length - 1), "udp")).toBeUndefined();
    expect(k.decrypt(sealed, "tcp")).toBeUndefined();
  });

  it("encrypts with the primary key and decrypts with any key of the ring", () => {
    const rotating = new Keyring(["new", "old"]);
    const legacy = new Keyring(["old"]);
    const fresh = new Keyring(["new"]);
    expect(legacy.decrypt(rotating.encrypt(plain, "tcp"), "tcp")).toBeUndefined();
    expect(fresh.decrypt(rotating.encrypt(plain, "tcp"), "tcp")).toBeDefined();
    expect(rotating.decrypt(legacy.encrypt(plain, "tcp"), "tcp")).toBeDefined();
    expect(rotating.decrypt(fresh.encrypt(plain, "tcp"), "tcp")).toBeDefined();
  });
});
