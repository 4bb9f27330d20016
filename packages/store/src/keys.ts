/**
 * Artifact keys and their validation. A key is `{os}_{arch}/{package}/{target}/{H}/{file}`
 * (spec §2), `H` being the request hash in base64url without padding. The root package `""`
 * contributes no segment: its keys are `{os}_{arch}/{target}/{H}/{file}` (as a Go `path.Join`
 * of the fields would give). Keys are only ever names in the index and inside blob trailers:
 * no field of a ref ever becomes part of a filesystem path.
 */

import { StoreError } from "./errors.js";
import type { ArtifactRef, TargetRef } from "./types.js";

/** Longest os or arch, in UTF-8 bytes. */
export const MAX_PLATFORM_BYTES = 64;
/** Longest package, in UTF-8 bytes. */
export const MAX_PACKAGE_BYTES = 1024;
/** Longest target name, in UTF-8 bytes. */
export const MAX_TARGET_BYTES = 255;
/** Longest file (relative path), in UTF-8 bytes. */
export const MAX_FILE_BYTES = 2048;
/** Longest single segment of a package or file, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 255;
/** Shortest request hash: its first 4 bytes are the key's point. */
export const MIN_HASH_BYTES = 4;
/** Longest request hash. */
export const MAX_HASH_BYTES = 64;

// C0 controls and DEL; NUL is reported on its own.
const CONTROL = /[\u0001-\u001f\u007f]/;
// With the u flag a paired surrogate is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

interface FieldRule {
  /** May contain `/`-separated segments. */
  multi: boolean;
  /** May be the empty string. */
  allowEmpty: boolean;
  maxBytes: number;
}

const RULES = {
  os: { multi: false, allowEmpty: false, maxBytes: MAX_PLATFORM_BYTES },
  arch: { multi: false, allowEmpty: false, maxBytes: MAX_PLATFORM_BYTES },
  package: { multi: true, allowEmpty: true, maxBytes: MAX_PACKAGE_BYTES },
  target: { multi: false, allowEmpty: false, maxBytes: MAX_TARGET_BYTES },
  file: { multi: true, allowEmpty: false, maxBytes: MAX_FILE_BYTES },
} as const satisfies Record<string, FieldRule>;

function invalid(field: string, value: unknown, why: string): StoreError {
  const shown =
    typeof value === "string"
      ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
      : String(value);
  return new StoreError("INVALID_KEY", `invalid artifact key: ${field} ${shown} ${why}`);
}

function checkField(field: keyof typeof RULES, value: unknown): void {
  const rule: FieldRule = RULES[field];
  if (typeof value !== "string") throw invalid(field, value, "is not a string");
  if (value === "") {
    if (rule.allowEmpty) return;
    throw invalid(field, value, "is empty");
  }
  if (Buffer.byteLength(value, "utf8") > rule.maxBytes) {
    throw invalid(field, value, `is longer than ${rule.maxBytes} bytes`);
  }
  if (value.includes("\u0000")) throw invalid(field, value, "contains a NUL byte");
  if (CONTROL.test(value)) throw invalid(field, value, "contains a control character");
  if (LONE_SURROGATE.test(value)) throw invalid(field, value, "is not well-formed Unicode");
  if (value.includes("\\")) throw invalid(field, value, "contains a backslash");
  if (value.startsWith("/")) throw invalid(field, value, "is an absolute path");
  if (!rule.multi && value.includes("/")) throw invalid(field, value, "must be a single path segment");
  for (const segment of value.split("/")) {
    if (segment === "")
      throw invalid(field, value, "has an empty segment (leading, trailing or double slash)");
    if (segment === "." || segment === "..") throw invalid(field, value, `has a "${segment}" segment`);
    if (Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES) {
      throw invalid(field, value, `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}

function isArtifactRef(ref: ArtifactRef | TargetRef): ref is ArtifactRef {
  return "hash" in ref || "file" in ref;
}

/**
 * Checks every field of a ref (an `ArtifactRef` when it has `hash` or `file`, else a
 * `TargetRef`):
 * - `os`, `arch`, `target`: one non-empty path segment;
 * - `package`: empty (the root package) or segments joined by `/`;
 * - `file`: one or more segments joined by `/`;
 * - no segment is empty, `.` or `..` (so no leading, trailing or double slash, no traversal);
 * - no absolute path, backslash, NUL or other control character, or lone surrogate;
 * - lengths within the `MAX_*` constants; `hash` a `Uint8Array` of 4 to 64 bytes.
 *
 * @throws {StoreError} `INVALID_KEY`, with a message naming the field and the rule.
 */
export function validateRef(ref: ArtifactRef | TargetRef): void {
  if (typeof ref !== "object" || ref === null) {
    throw new StoreError("INVALID_KEY", "invalid artifact key: ref is not an object");
  }
  checkField("os", ref.os);
  checkField("arch", ref.arch);
  checkField("package", ref.package);
  checkField("target", ref.target);
  if (!isArtifactRef(ref)) return;
  const { hash } = ref;
  if (!(hash instanceof Uint8Array)) throw invalid("hash", hash, "is not a Uint8Array");
  if (hash.length < MIN_HASH_BYTES || hash.length > MAX_HASH_BYTES) {
    throw invalid("hash", `${hash.length} bytes`, `must be ${MIN_HASH_BYTES} to ${MAX_HASH_BYTES} bytes`);
  }
  checkField("file", ref.file);
}

/** The request hash as the key writes it: base64url without padding. */
export function encodeHash(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("base64url");
}

/** The inverse of `encodeHash`. */
export function decodeHash(encoded: string): Uint8Array {
  return new Uint8Array(Buffer.from(encoded, "base64url"));
}

/** The plz hash point of a request hash: its first 4 bytes as a little-endian uint32 (spec §3). */
export function keyPoint(hash: Uint8Array): number {
  return ((hash[0] ?? 0) | ((hash[1] ?? 0) << 8) | ((hash[2] ?? 0) << 16) | ((hash[3] ?? 0) << 24)) >>> 0;
}

/** `{os}_{arch}/{package}/{target}` without validating (the root package adds no segment). */
export function formatTargetKey(ref: TargetRef): string {
  const pkg = ref.package === "" ? "" : `${ref.package}/`;
  return `${ref.os}_${ref.arch}/${pkg}${ref.target}`;
}

/** `{os}_{arch}/{package}/{target}`: the key prefix shared by every hash of a target. Validates. */
export function targetKey(ref: TargetRef): string {
  validateRef(ref);
  return formatTargetKey(ref);
}

/** `{os}_{arch}/{package}/{target}/{H}/{file}` for a ref. Validates (throws `INVALID_KEY`). */
export function artifactKey(ref: ArtifactRef): string {
  validateRef(ref);
  return `${formatTargetKey(ref)}/${encodeHash(ref.hash)}/${ref.file}`;
}
