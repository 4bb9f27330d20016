import type { DeleteOp, StoreOp } from "../../src/transport.js";

/** A store op whose request hash has point `point` (little-endian first 4 bytes) and a tag byte. */
export function storeOp(tag: number, point = tag): StoreOp {
  const hash = new Uint8Array(20);
  new DataView(hash.buffer).setUint32(0, point >>> 0, true);
  hash[4] = tag & 0xff;
  return {
    kind: "store",
    os: "linux",
    arch: "amd64",
    hash,
    hostname: "builder-1",
    artifacts: [{ package: "src/core", target: `t${tag}`, file: `t${tag}.a` }],
  };
}

export function deleteOp(target: string, everything = false): DeleteOp {
  return {
    kind: "delete",
    os: "linux",
    arch: "amd64",
    artifacts: everything ? [] : [{ package: "src/core", target }],
    everything,
  };
}

/** Which op a call carried, for compact assertions: "s<target>" or "d<target>". */
export function label(op: StoreOp | DeleteOp): string {
  if (op.kind === "store") return `s:${op.artifacts[0]?.target ?? ""}`;
  return op.everything ? "d:*" : `d:${op.artifacts[0]?.target ?? ""}`;
}
