/**
 * The encoded size of a `StoreRequest`, computed from its fields without encoding it, so that a
 * request over the message limit is refused before any bytes are copied or sent.
 */
import type { Artifact, StoreRequest } from "@plz-cache/protocol";

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Size of a length-delimited field (tag below 16, so one tag byte); proto3 omits empty ones. */
function fieldSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function stringSize(s: string): number {
  return fieldSize(Buffer.byteLength(s, "utf8"));
}

/** The encoded size of one `Artifact`. */
export function artifactSize(a: Artifact): number {
  return (
    stringSize(a.package) +
    stringSize(a.target) +
    stringSize(a.file) +
    fieldSize(a.body.length) +
    stringSize(a.symlink)
  );
}

/** The encoded size of a `StoreRequest`, in bytes: exactly what ts-proto's encoder writes. */
export function storeRequestSize(req: StoreRequest): number {
  let size =
    stringSize(req.os) + stringSize(req.arch) + fieldSize(req.hash.length) + stringSize(req.hostname);
  for (const a of req.artifacts) {
    const n = artifactSize(a);
    size += 1 + varintSize(n) + n; // repeated embedded messages are written even when empty
  }
  return size;
}
