/** Conversions between blob trailers, index rows and the public `ArtifactInfo`. */
import { decodeHash, formatTargetKey, keyPoint } from "../keys.js";
import type { ArtifactInfo, ArtifactRef, StoreMeta } from "../types.js";
import type { BlobTrailer } from "./blob-format.js";
import { blobId } from "./blob-paths.js";
import type { IndexRow } from "./index-db.js";

export function cleanMeta(meta: StoreMeta | undefined): StoreMeta {
  const out: StoreMeta = {};
  if (!meta) return out;
  if (typeof meta.clientAddress === "string") out.clientAddress = meta.clientAddress;
  if (typeof meta.hostname === "string") out.hostname = meta.hostname;
  if (typeof meta.replicated === "boolean") out.replicated = meta.replicated;
  if (typeof meta.peer === "string") out.peer = meta.peer;
  return out;
}

function metaJson(meta: StoreMeta): string | null {
  return Object.keys(meta).length === 0 ? null : JSON.stringify(meta);
}

function parseMetaJson(json: string | null): StoreMeta {
  if (json === null) return {};
  try {
    return cleanMeta(JSON.parse(json) as StoreMeta);
  } catch {
    return {};
  }
}

export function rowFromTrailer(t: BlobTrailer, lastRead: number): IndexRow {
  const hash = decodeHash(t.ref.hash);
  return {
    key: t.key,
    target_key: formatTargetKey(t.ref),
    os: t.ref.os,
    arch: t.ref.arch,
    package: t.ref.package,
    target: t.ref.target,
    hash: t.ref.hash,
    file: t.ref.file,
    blob: blobId(t.key),
    size: t.size,
    kind: t.kind === "symlink" ? 1 : 0,
    symlink: t.kind === "symlink" ? (t.symlink ?? "") : null,
    digest: Buffer.from(t.sha256, "hex"),
    stored_at: t.storedAt,
    last_read: Math.max(lastRead, t.storedAt),
    point: keyPoint(hash),
    meta: metaJson(t.meta),
  };
}

function info(
  key: string,
  ref: ArtifactRef,
  size: number,
  digest: string,
  symlink: string | null | undefined,
  storedAt: number,
  lastRead: number,
  meta: StoreMeta,
): ArtifactInfo {
  const out: ArtifactInfo = {
    key,
    ref,
    size,
    digest,
    kind: symlink == null ? "file" : "symlink",
    storedAt,
    lastRead,
    point: keyPoint(ref.hash),
    meta,
  };
  if (symlink != null) out.symlink = symlink;
  return out;
}

export function infoFromRow(row: IndexRow, pendingLastRead: number | undefined): ArtifactInfo {
  const ref: ArtifactRef = {
    os: row.os,
    arch: row.arch,
    package: row.package,
    target: row.target,
    hash: decodeHash(row.hash),
    file: row.file,
  };
  const lastRead = Math.max(row.last_read, pendingLastRead ?? 0);
  const symlink = row.kind === 1 ? (row.symlink ?? "") : null;
  return info(
    row.key,
    ref,
    row.size,
    row.digest.toString("hex"),
    symlink,
    row.stored_at,
    lastRead,
    parseMetaJson(row.meta),
  );
}

export function infoFromTrailer(t: BlobTrailer, lastRead: number): ArtifactInfo {
  const ref: ArtifactRef = { ...t.ref, hash: decodeHash(t.ref.hash) };
  const symlink = t.kind === "symlink" ? (t.symlink ?? "") : null;
  return info(t.key, ref, t.size, t.sha256, symlink, t.storedAt, Math.max(lastRead, t.storedAt), {
    ...t.meta,
  });
}
