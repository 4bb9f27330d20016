/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over bytes and over the
 * UTF-8 encoding of strings. `murmur3String(s, seed) === murmur3Bytes(utf8(s), seed)` for every
 * string, including lone surrogates, which are encoded as U+FFFD exactly as `TextEncoder` does.
 *
 * Strings made only of ASCII characters are hashed straight from their char codes, with no
 * allocation; any other string is encoded once into a reused scratch buffer.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Mixes one 4-byte little-endian block `k` into the running state `h`. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Mixes the final 1–3 bytes (already packed little-endian in `k`). */
function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  return h ^ k;
}

/** The MurmurHash3 finaliser: a bijection of 32-bit integers with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 of `bytes`; an unsigned 32-bit integer. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  return murmur3Prefix(bytes, bytes.length, seed);
}

/** MurmurHash3 x86_32 of the first `length` bytes of `bytes`. */
function murmur3Prefix(bytes: Uint8Array, length: number, seed: number): number {
  const blocksEnd = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = mixBlock(h, k);
  }
  const rest = length - blocksEnd;
  if (rest > 0) {
    let k = bytes[i]!;
    if (rest > 1) k |= bytes[i + 1]! << 8;
    if (rest > 2) k |= bytes[i + 2]! << 16;
    h = mixTail(h, k);
  }
  return fmix32(h ^ length);
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** MurmurHash3 x86_32 of the UTF-8 encoding of `text`; an unsigned 32-bit integer. */
export function murmur3String(text: string, seed = 0): number {
  const length = text.length;
  const blocksEnd = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return murmur3NonAscii(text, seed);
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const rest = length - blocksEnd;
  if (rest > 0) {
    const c0 = text.charCodeAt(i);
    const c1 = rest > 1 ? text.charCodeAt(i + 1) : 0;
    const c2 = rest > 2 ? text.charCodeAt(i + 2) : 0;
    if ((c0 | c1 | c2) > 0x7f) return murmur3NonAscii(text, seed);
    h = mixTail(h, c0 | (c1 << 8) | (c2 << 16));
  }
  return fmix32(h ^ length);
}

function murmur3NonAscii(text: string, seed: number): number {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const needed = text.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  const { written } = encoder.encodeInto(text, scratch);
  return murmur3Prefix(scratch, written, seed);
}
