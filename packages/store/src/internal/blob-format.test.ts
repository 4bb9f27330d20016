import { describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import { type BlobTrailer, decodeFooter, decodeTrailer, encodeTrailer, FOOTER_BYTES } from "./blob-format.js";
import { crc32 } from "./crc32.js";

const trailer: BlobTrailer = {
  v: 1,
  key: "linux_amd64/src/core/AQIDBA/out/a",
  ref: { os: "linux", arch: "amd64", package: "src", target: "core", hash: "AQIDBA", file: "out/a" },
  kind: "file",
  size: 3,
  sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  storedAt: 1234,
  meta: { hostname: "builder", replicated: true, peer: "node-2", clientAddress: "10.0.0.1:5" },
};

function blob(t: BlobTrailer = trailer): Buffer {
  return Buffer.concat([Buffer.from("abc"), encodeTrailer(t)]);
}

function decode(file: Buffer): BlobTrailer {
  const footer = decodeFooter(file.subarray(file.length - FOOTER_BYTES), file.length);
  const start = file.length - FOOTER_BYTES - footer.trailerLength;
  return decodeTrailer(file.subarray(start, file.length - FOOTER_BYTES), footer, file.length);
}

function expectCorrupt(fn: () => unknown, reason: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StoreError);
  expect((caught as StoreError).code).toBe("CORRUPT");
  expect((caught as StoreError).message).toMatch(reason);
}

describe("blob format", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("ends with a 16-byte footer: length, crc, version 1, flags, magic PLZB", () => {
    const file = blob();
    const footer = file.subarray(file.length - 16);
    expect(footer.subarray(12).toString("ascii")).toBe("PLZB");
    expect(footer.readUInt16LE(8)).toBe(1);
    expect(footer.readUInt32LE(0)).toBe(file.length - 3 - 16);
  });

  it("round-trips the trailer with its metadata", () => {
    expect(decode(blob())).toEqual(trailer);
    const link: BlobTrailer = { ...trailer, kind: "symlink", symlink: "../x", size: 0 };
    expect(decode(Buffer.concat([encodeTrailer(link)]))).toEqual(link);
  });

  it("rejects a flipped trailer byte by checksum", () => {
    const file = blob();
    const i = file.indexOf("builder");
    file[i] = "c".charCodeAt(0);
    expectCorrupt(() => decode(file), /checksum/);
  });

  it("rejects bad magic, another version, a truncated file and a size mismatch", () => {
    const badMagic = blob();
    badMagic[badMagic.length - 1] = 0;
    expectCorrupt(() => decode(badMagic), /magic/);
    const badVersion = blob();
    badVersion.writeUInt16LE(2, badVersion.length - 8);
    expectCorrupt(() => decode(badVersion), /version 2/);
    expectCorrupt(() => decode(Buffer.alloc(10)), /truncated/);
    expectCorrupt(() => decode(Buffer.concat([Buffer.from("x"), blob()])), /size/);
  });

  it("rejects a trailer whose ref does not spell its key or is not a valid key", () => {
    expectCorrupt(() => decode(blob({ ...trailer, key: "linux_amd64/other" })), /does not match/);
    const evil = {
      ...trailer,
      ref: { ...trailer.ref, file: "../../etc/passwd" },
      key: "linux_amd64/src/core/AQIDBA/../../etc/passwd",
    };
    expectCorrupt(() => decode(blob(evil)), /not a valid key/);
  });
});
