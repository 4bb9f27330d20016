/**
 * Packet encryption: AES-256-GCM with keys derived from the cluster secret(s) by
 * HKDF-SHA256 (salt `KDF_SALT`, info `KDF_INFO`, 32 bytes). An encrypted packet is
 *
 *   0x81 · nonce (12 random bytes) · ciphertext · tag (16 bytes)
 *
 * with the additional authenticated data `0x81 · channel` (channel `U` for UDP, `T` for TCP,
 * so a datagram cannot be replayed as a stream frame or back). The keyring encrypts with its
 * first (primary) key and tries every key to decrypt. To a peer whose packets arrive under
 * another key of the ring we answer with that key (see `Wire`), so during a rotation a node on
 * `[new, old]` and a node still on `[old]` understand each other: deploy `[new, old]`
 * everywhere, then `[new]`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

export const ENCRYPTED_VERSION = 0x81;
export const KDF_SALT = "plz-cache/membership/v1";
export const KDF_INFO = "gossip aes-256-gcm key";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes encryption adds to a packet. */
export const ENCRYPTION_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

export type Channel = "udp" | "tcp";

/** Derives the 32-byte AES key for a secret. Deterministic: same secret, same key. */
export function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), KDF_SALT, KDF_INFO, 32));
}

function aad(channel: Channel): Buffer {
  return Buffer.from([ENCRYPTED_VERSION, channel === "udp" ? 0x55 : 0x54]);
}
const AAD_UDP = aad("udp");
const AAD_TCP = aad("tcp");

export class Keyring {
  private readonly keys: Buffer[];

  /** `secrets[0]` is the primary (encrypting) key; all are accepted for decryption. */
  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new RangeError("a keyring needs at least one secret");
    this.keys = secrets.map(deriveKey);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Encrypts with key `keyIndex` (default: the primary). */
  encrypt(plain: Uint8Array, channel: Channel, keyIndex = 0): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.keys[keyIndex] ?? this.keys[0]!, nonce);
    cipher.setAAD(channel === "udp" ? AAD_UDP : AAD_TCP);
    const body = cipher.update(plain);
    const final = cipher.final();
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(ENCRYPTION_OVERHEAD + body.length + final.length);
    out[0] = ENCRYPTED_VERSION;
    out.set(nonce, 1);
    out.set(body, 1 + NONCE_BYTES);
    out.set(final, 1 + NONCE_BYTES + body.length);
    out.set(tag, out.length - TAG_BYTES);
    return out;
  }

  /** Returns the plain text, or undefined if no key authenticates the packet. */
  decrypt(packet: Uint8Array, channel: Channel): Uint8Array | undefined {
    return this.open(packet, channel)?.plain;
  }

  /** Like {@link Keyring.decrypt}, and says which key of the ring authenticated it. */
  open(packet: Uint8Array, channel: Channel): { plain: Uint8Array; key: number } | undefined {
    if (packet.length < ENCRYPTION_OVERHEAD || packet[0] !== ENCRYPTED_VERSION) return undefined;
    const nonce = packet.subarray(1, 1 + NONCE_BYTES);
    const body = packet.subarray(1 + NONCE_BYTES, packet.length - TAG_BYTES);
    const tag = packet.subarray(packet.length - TAG_BYTES);
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(channel === "udp" ? AAD_UDP : AAD_TCP);
        decipher.setAuthTag(tag);
        const a = decipher.update(body);
        const b = decipher.final();
        return { plain: b.length === 0 ? a : Buffer.concat([a, b]), key: i };
      } catch {
        // Wrong key or tampered: try the next key.
      }
    }
    return undefined;
  }
}
