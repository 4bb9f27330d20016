import { describe, expect, it } from "vitest";
import { Prng } from "../../test/support/prng.js";
import { fmix32, murmur3Bytes, murmur3String } from "./murmur3.js";

const utf8 = new TextEncoder();

describe("murmur3", () => {
  it("matches the published MurmurHash3 x86_32 test vectors", () => {
    const vectors: [string, number, number][] = [
      ["", 0, 0],
      ["", 1, 0x514e28b7],
      ["", 0xffffffff, 0x81f16f39],
      ["a", 0x9747b28c, 0x7fa09ea6],
      ["ab", 0x9747b28c, 0x74875592],
      ["abc", 0x9747b28c, 0xc84a62dd],
      ["abcd", 0x9747b28c, 0xf0478627],
      ["aaaa", 0x9747b28c, 0x5a97808a],
      ["Hello, world!", 0x9747b28c, 0x24884cba],
      ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
      ["ππππππππ", 0x9747b28c, 0xd58063c1],
    ];
    for (const [text, seed, expected] of vectors) {
      expect(murmur3Bytes(utf8.encode(text), seed), text).toBe(expected);
      expect(murmur3String(text, seed), text).toBe(expected);
    }
    expect(murmur3Bytes(new Uint8Array(4), 0)).toBe(0x2362f9de);
  });

  it("hashes a string exactly as the UTF-8 bytes TextEncoder gives for it", () => {
    const prng = new Prng(7);
    // ASCII, 2-, 3- and 4-byte sequences, and lone surrogates (encoded as U+FFFD).
    const alphabet = [
      "a",
      "Z",
      "0",
      "/",
      "é",
      "ß",
      "π",
      "€",
      "語",
      "😀",
      "\ud800",
      "\udfff",
      "\u0000",
      "\u007f",
    ];
    for (let round = 0; round < 2000; round++) {
      let text = "";
      const length = prng.nextInt(40);
      for (let i = 0; i < length; i++) text += alphabet[prng.nextInt(alphabet.length)];
      const seed = prng.nextUint32();
      expect(murmur3String(text, seed)).toBe(murmur3Bytes(utf8.encode(text), seed));
    }
  });

  it("handles non-ASCII strings longer than its scratch buffer", () => {
    const text = "語".repeat(5000);
    expect(murmur3String(text)).toBe(murmur3Bytes(utf8.encode(text)));
    expect(murmur3String(`${text}x`)).not.toBe(murmur3String(text));
  });

  it("returns unsigned 32-bit integers", () => {
    const prng = new Prng(8);
    for (let i = 0; i < 1000; i++) {
      const h = murmur3Bytes(prng.bytes(i % 13));
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      const f = fmix32(prng.nextUint32() | 0);
      expect(Number.isInteger(f) && f >= 0 && f <= 0xffffffff).toBe(true);
    }
  });
});
