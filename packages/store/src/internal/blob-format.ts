/**
 * The byte layout of a blob file (format version 1). Every blob describes itself, so the index
 * can be rebuilt from the blobs alone:
 *
 * ```
 * offset 0            body                  `size` bytes, exactly as stored
 * offset size         trailer               UTF-8 JSON (BlobTrailer), `trailerLength` bytes
 * offset size+tlen    footer, 16 bytes:
 *                       0..4   trailerLength  uint32 LE
 *                       4..8   CRC-32 of the trailer bytes  uint32 LE
 *                       8..10  format version uint16 LE (1)
 *                      10..12  flags          uint16 LE (0, reserved)
 *                      12..16  magic          ASCII "PLZB"
 * ```
 *
 * The body comes first so a blob is written in one sequential pass while its sha256 is computed;
 * the trailer (which holds the digest) and the footer go last. A reader fstat()s the file, reads
 * the footer and trailer from its end, then the body from offset 0, all through one descriptor.
 * File size must equal `size + trailerLength + 16`.
 */

import { StoreError } from "../errors.js";
import { formatTargetKey, validateRef } from "../keys.js";
import type { StoreMeta } from "../types.js";
import { crc32 } from "./crc32.js";

export const FOOTER_BYTES = 16;
export const FORMAT_VERSION = 1;
export const MAGIC = Buffer.from("PLZB", "ascii");
/** A trailer is a key, a symlink destination and a few fields; anything bigger is corrupt. */
export const MAX_TRAILER_BYTES = 64 * 1024;

export type BlobKind = "file" | "symlink";

/** The trailer's JSON. Field names are part of the on-disk format. */
export interface BlobTrailer {
  v: 1;
  key: string;
  ref: { os: string; arch: string; package: string; target: string; hash: string; file: string };
  kind: BlobKind;
  symlink?: string;
  size: number;
  sha256: string;
  storedAt: number;
  meta: StoreMeta;
}

/** A blob that cannot be trusted; `reason` says which check failed. */
export function corrupt(reason: string, cause?: unknown): StoreError {
  return new StoreError("CORRUPT", `corrupt blob: ${reason}`, cause === undefined ? undefined : { cause });
}

/** Trailer JSON followed by the footer: the bytes a writer appends after the body. */
export function encodeTrailer(trailer: BlobTrailer): Buffer {
  const json = Buffer.from(JSON.stringify(trailer), "utf8");
  if (json.length > MAX_TRAILER_BYTES) throw corrupt(`trailer of ${json.length} bytes is too large`);
  const out = Buffer.allocUnsafe(json.length + FOOTER_BYTES);
  json.copy(out, 0);
  const footer = out.subarray(json.length);
  footer.writeUInt32LE(json.length, 0);
  footer.writeUInt32LE(crc32(json), 4);
  footer.writeUInt16LE(FORMAT_VERSION, 8);
  footer.writeUInt16LE(0, 10);
  MAGIC.copy(footer, 12);
  return out;
}

export interface Footer {
  trailerLength: number;
  crc: number;
}

export function decodeFooter(footer: Uint8Array, fileSize: number): Footer {
  if (footer.length !== FOOTER_BYTES || fileSize < FOOTER_BYTES) throw corrupt("truncated (no footer)");
  const buf = Buffer.from(footer.buffer, footer.byteOffset, footer.byteLength);
  if (!buf.subarray(12, 16).equals(MAGIC)) throw corrupt("bad magic");
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION) throw corrupt(`unsupported format version ${version}`);
  const trailerLength = buf.readUInt32LE(0);
  if (trailerLength > MAX_TRAILER_BYTES || trailerLength + FOOTER_BYTES > fileSize) {
    throw corrupt(`bad trailer length ${trailerLength}`);
  }
  return { trailerLength, crc: buf.readUInt32LE(4) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseMeta(v: unknown): StoreMeta {
  if (!isObject(v)) throw corrupt("trailer meta is not an object");
  const meta: StoreMeta = {};
  if (typeof v.clientAddress === "string") meta.clientAddress = v.clientAddress;
  if (typeof v.hostname === "string") meta.hostname = v.hostname;
  if (typeof v.replicated === "boolean") meta.replicated = v.replicated;
  if (typeof v.peer === "string") meta.peer = v.peer;
  return meta;
}

/**
 * Parses and checks a trailer against its footer and the file size. Nothing read from disk is
 * trusted: the ref must pass `validateRef` and must spell `key`.
 */
export function decodeTrailer(bytes: Uint8Array, footer: Footer, fileSize: number): BlobTrailer {
  if (crc32(bytes) !== footer.crc) throw corrupt("trailer checksum mismatch");
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch (err) {
    throw corrupt("trailer is not JSON", err);
  }
  if (!isObject(raw) || raw.v !== 1 || !isObject(raw.ref)) throw corrupt("trailer has the wrong shape");
  const { key, kind, size, sha256, storedAt, symlink } = raw;
  const r = raw.ref;
  if (
    typeof key !== "string" ||
    (kind !== "file" && kind !== "symlink") ||
    typeof size !== "number" ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    typeof sha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof storedAt !== "number" ||
    !Number.isFinite(storedAt) ||
    typeof r.os !== "string" ||
    typeof r.arch !== "string" ||
    typeof r.package !== "string" ||
    typeof r.target !== "string" ||
    typeof r.hash !== "string" ||
    typeof r.file !== "string"
  ) {
    throw corrupt("trailer has the wrong shape");
  }
  if (kind === "symlink" && (typeof symlink !== "string" || size !== 0)) throw corrupt("bad symlink trailer");
  if (size + footer.trailerLength + FOOTER_BYTES !== fileSize)
    throw corrupt("file size does not match trailer");
  const ref = { os: r.os, arch: r.arch, package: r.package, target: r.target, hash: r.hash, file: r.file };
  try {
    validateRef({ ...ref, hash: new Uint8Array(Buffer.from(ref.hash, "base64url")) });
  } catch (err) {
    throw corrupt("trailer ref is not a valid key", err);
  }
  if (`${formatTargetKey(ref)}/${ref.hash}/${ref.file}` !== key)
    throw corrupt("trailer key does not match its ref");
  const trailer: BlobTrailer = { v: 1, key, ref, kind, size, sha256, storedAt, meta: parseMeta(raw.meta) };
  if (kind === "symlink") trailer.symlink = symlink as string;
  return trailer;
}
