/**
 * The JSON form of an op in the journal. Short keys keep queued records small; every field is
 * checked on the way back in, so a record from another version is skipped, not trusted.
 */
import type { ArtifactRef, ReplicateOp, TargetRef } from "../transport.js";

type StoredStore = {
  k: "s";
  os: string;
  arch: string;
  h: string;
  host: string;
  a: [string, string, string][];
};
type StoredDelete = { k: "d"; os: string; arch: string; e: boolean; a: [string, string][] };
export type StoredOp = StoredStore | StoredDelete;

export function encodeOp(op: ReplicateOp): StoredOp {
  if (op.kind === "store") {
    return {
      k: "s",
      os: op.os,
      arch: op.arch,
      h: Buffer.from(op.hash.buffer, op.hash.byteOffset, op.hash.byteLength).toString("base64"),
      host: op.hostname,
      a: op.artifacts.map((a) => [a.package, a.target, a.file]),
    };
  }
  return {
    k: "d",
    os: op.os,
    arch: op.arch,
    e: op.everything,
    a: op.artifacts.map((a) => [a.package, a.target]),
  };
}

const isString = (v: unknown): v is string => typeof v === "string";

function isTuple(v: unknown, length: number): v is string[] {
  return Array.isArray(v) && v.length === length && v.every(isString);
}

/** The op a stored record describes, or `undefined` when the record is not a valid op. */
export function decodeOp(value: unknown): ReplicateOp | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isString(v.os) || !isString(v.arch) || !Array.isArray(v.a)) return undefined;
  if (v.k === "s") {
    if (!isString(v.h) || !isString(v.host) || !v.a.every((t) => isTuple(t, 3))) return undefined;
    const artifacts: ArtifactRef[] = (v.a as string[][]).map(([pkg, target, file]) => ({
      package: pkg!,
      target: target!,
      file: file!,
    }));
    const hash = new Uint8Array(Buffer.from(v.h, "base64"));
    return { kind: "store", os: v.os, arch: v.arch, hash, hostname: v.host, artifacts };
  }
  if (v.k === "d") {
    if (typeof v.e !== "boolean" || !v.a.every((t) => isTuple(t, 2))) return undefined;
    const artifacts: TargetRef[] = (v.a as string[][]).map(([pkg, target]) => ({
      package: pkg!,
      target: target!,
    }));
    return { kind: "delete", os: v.os, arch: v.arch, artifacts, everything: v.e };
  }
  return undefined;
}
