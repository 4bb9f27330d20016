import { fileURLToPath } from "node:url";
import { loadSync } from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { HealthCheckRequest, HealthCheckResponse, HealthService } from "./gen/grpc/health/v1/health.js";
import {
  DeleteRequest,
  DeleteResponse,
  JoinRequest,
  JoinResponse,
  ListRequest,
  ListResponse,
  ReplicateRequest,
  ReplicateResponse,
  RetrieveRequest,
  RetrieveResponse,
  RpcCacheService,
  RpcServerService,
  StoreRequest,
  StoreResponse,
} from "./gen/rpc_cache.js";

// An independent schema: protobufjs (through @grpc/proto-loader) reading the same .proto text.
const protoDir = fileURLToPath(new URL("../../../proto", import.meta.url));
const pkg = loadSync(["rpc_cache.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [protoDir],
  keepCase: true,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
});

interface Codec {
  requestSerialize(v: unknown): Buffer;
  requestDeserialize(b: Buffer): unknown;
  responseSerialize(v: unknown): Buffer;
  responseDeserialize(b: Buffer): unknown;
}
function method(service: string, name: string): Codec {
  const def = pkg[service] as unknown as Record<string, Codec> | undefined;
  const m = def?.[name];
  if (!m) throw new Error(`no ${service}/${name} in the independent schema`);
  return m;
}

const artifact = (i: number) => ({
  package: `src/pkg${i}`,
  target: `target_${i}`,
  file: `out/file-${i}.txt`,
  body: Buffer.from(`body ${i} \u00e9\u0000\u00ff`),
  symlink: i % 2 ? `../dest${i}` : "",
});
const hash = Buffer.from([0xff, 0x00, 0x80, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
const camelNode = (i: number) => ({
  name: `node-${i}`,
  address: `10.0.0.${i}:7677`,
  hashBegin: i,
  hashEnd: 4294967295,
});

/** ts-proto uses camelCase, the .proto (and protobufjs with keepCase) uses snake_case. */
function snake(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(snake);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(x)]),
    );
  }
  return v;
}

// Every message of the contract, with every field set to a non-default value (nested
// Artifact and Node travel inside the request/response that carry them).
const cases = [
  {
    name: "StoreRequest",
    codec: method("proto.rpc_cache.RpcCache", "Store"),
    side: "request",
    gen: StoreRequest,
    value: { artifacts: [artifact(1), artifact(2)], os: "linux", arch: "amd64", hash, hostname: "builder-7" },
  },
  {
    name: "StoreResponse",
    codec: method("proto.rpc_cache.RpcCache", "Store"),
    side: "response",
    gen: StoreResponse,
    value: { success: true },
  },
  {
    name: "RetrieveRequest",
    codec: method("proto.rpc_cache.RpcCache", "Retrieve"),
    side: "request",
    gen: RetrieveRequest,
    value: {
      artifacts: [{ ...artifact(3), body: Buffer.alloc(0), symlink: "" }],
      os: "darwin",
      arch: "arm64",
      hash,
    },
  },
  {
    name: "RetrieveResponse",
    codec: method("proto.rpc_cache.RpcCache", "Retrieve"),
    side: "response",
    gen: RetrieveResponse,
    value: { success: true, artifacts: [artifact(4), artifact(5)] },
  },
  {
    name: "DeleteRequest",
    codec: method("proto.rpc_cache.RpcCache", "Delete"),
    side: "request",
    gen: DeleteRequest,
    value: {
      artifacts: [{ ...artifact(6), body: Buffer.alloc(0), symlink: "" }],
      os: "linux",
      arch: "arm",
      everything: true,
    },
  },
  {
    name: "DeleteResponse",
    codec: method("proto.rpc_cache.RpcCache", "Delete"),
    side: "response",
    gen: DeleteResponse,
    value: { success: true },
  },
  {
    name: "ListRequest",
    codec: method("proto.rpc_cache.RpcCache", "ListNodes"),
    side: "request",
    gen: ListRequest,
    value: {},
  },
  {
    name: "ListResponse",
    codec: method("proto.rpc_cache.RpcCache", "ListNodes"),
    side: "response",
    gen: ListResponse,
    value: { nodes: [camelNode(0), camelNode(1)] },
  },
  {
    name: "JoinRequest",
    codec: method("proto.rpc_cache.RpcServer", "Join"),
    side: "request",
    gen: JoinRequest,
    value: { name: "cache-2", address: "10.1.2.3:7677" },
  },
  {
    name: "JoinResponse",
    codec: method("proto.rpc_cache.RpcServer", "Join"),
    side: "response",
    gen: JoinResponse,
    value: { success: true, node: camelNode(2), nodes: [camelNode(0), camelNode(2)], size: -3 },
  },
  {
    name: "ReplicateRequest",
    codec: method("proto.rpc_cache.RpcServer", "Replicate"),
    side: "request",
    gen: ReplicateRequest,
    value: {
      artifacts: [artifact(7)],
      os: "linux",
      arch: "amd64",
      hash,
      delete: true,
      hostname: "builder-1",
      peer: "cache-0",
    },
  },
  {
    name: "ReplicateResponse",
    codec: method("proto.rpc_cache.RpcServer", "Replicate"),
    side: "response",
    gen: ReplicateResponse,
    value: { success: true },
  },
  {
    name: "HealthCheckRequest",
    codec: method("grpc.health.v1.Health", "Check"),
    side: "request",
    gen: HealthCheckRequest,
    value: { service: "plz-rpc-cache" },
  },
  {
    name: "HealthCheckResponse",
    codec: method("grpc.health.v1.Health", "Check"),
    side: "response",
    gen: HealthCheckResponse,
    value: { status: 1 },
  },
] as const;

interface Gen {
  encode(v: never): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  fromPartial(v: never): unknown;
}

describe("wire compatibility with an independent protobuf implementation", () => {
  for (const c of cases) {
    it(`${c.name} encoded by ts-proto decodes field by field with protobufjs`, () => {
      const gen = c.gen as unknown as Gen;
      const full = gen.fromPartial(c.value as never);
      const bytes = Buffer.from(gen.encode(full as never).finish());
      const decoded =
        c.side === "request" ? c.codec.requestDeserialize(bytes) : c.codec.responseDeserialize(bytes);
      expect(snake(decoded)).toEqual(snake(full));
    });

    it(`${c.name} encoded by protobufjs decodes field by field with ts-proto`, () => {
      const gen = c.gen as unknown as Gen;
      const full = gen.fromPartial(c.value as never);
      const wire = snake(full);
      const bytes = c.side === "request" ? c.codec.requestSerialize(wire) : c.codec.responseSerialize(wire);
      expect(snake(gen.decode(bytes))).toEqual(wire);
    });
  }

  it("uses the plz gRPC method paths", () => {
    expect(RpcCacheService.store.path).toBe("/proto.rpc_cache.RpcCache/Store");
    expect(RpcCacheService.retrieve.path).toBe("/proto.rpc_cache.RpcCache/Retrieve");
    expect(RpcCacheService.delete.path).toBe("/proto.rpc_cache.RpcCache/Delete");
    expect(RpcCacheService.listNodes.path).toBe("/proto.rpc_cache.RpcCache/ListNodes");
    expect(RpcServerService.join.path).toBe("/proto.rpc_cache.RpcServer/Join");
    expect(RpcServerService.replicate.path).toBe("/proto.rpc_cache.RpcServer/Replicate");
    expect(HealthService.check.path).toBe("/grpc.health.v1.Health/Check");
  });

  it("puts each field on its spec field number", () => {
    // Artifact.symlink is field 5 (tag 0x2a), JoinResponse.size is field 6 (tag 0x30),
    // ReplicateRequest.peer is field 7 (tag 0x3a), Node.hash_end is field 4 (tag 0x20).
    const a = Buffer.from(
      StoreRequest.encode(StoreRequest.fromPartial({ artifacts: [{ symlink: "x" }] })).finish(),
    );
    expect([...a]).toEqual([0x0a, 3, 0x2a, 1, 0x78]);
    const j = Buffer.from(JoinResponse.encode(JoinResponse.fromPartial({ size: 3 })).finish());
    expect([...j]).toEqual([0x30, 3]);
    const r = Buffer.from(ReplicateRequest.encode(ReplicateRequest.fromPartial({ peer: "p" })).finish());
    expect([...r]).toEqual([0x3a, 1, 0x70]);
    const n = Buffer.from(
      ListResponse.encode(ListResponse.fromPartial({ nodes: [{ hashEnd: 1 }] })).finish(),
    );
    expect([...n]).toEqual([0x0a, 2, 0x20, 1]);
  });
});

describe("the .proto matches the spec's field tables", () => {
  // Field numbers from the spec (shared/spec/plz-rpc-cache.md §1). The wire format depends on them.
  const spec: Record<string, Record<string, number>> = {
    Artifact: { package: 1, target: 2, file: 3, body: 4, symlink: 5 },
    StoreRequest: { artifacts: 1, os: 2, arch: 3, hash: 4, hostname: 5 },
    StoreResponse: { success: 1 },
    RetrieveRequest: { artifacts: 1, os: 2, arch: 3, hash: 4 },
    RetrieveResponse: { success: 1, artifacts: 2 },
    DeleteRequest: { artifacts: 1, os: 2, arch: 3, everything: 4 },
    DeleteResponse: { success: 1 },
    ListRequest: {},
    ListResponse: { nodes: 1 },
    Node: { name: 1, address: 2, hash_begin: 3, hash_end: 4 },
    JoinRequest: { name: 1, address: 2 },
    JoinResponse: { success: 1, node: 2, nodes: 3, size: 6 },
    ReplicateRequest: { artifacts: 1, os: 2, arch: 3, hash: 4, delete: 5, hostname: 6, peer: 7 },
    ReplicateResponse: { success: 1 },
  };
  for (const [message, fields] of Object.entries(spec)) {
    it(`${message} has exactly the spec's fields and numbers`, () => {
      const def = pkg[`proto.rpc_cache.${message}`] as unknown as {
        type: { field: { name: string; number: number }[] };
      };
      const actual = Object.fromEntries(def.type.field.map((f) => [f.name, f.number]));
      expect(actual).toEqual(fields);
    });
  }
});

describe("plz-cache's own PeerSync messages", () => {
  const pkgPeer = loadSync(["plz_cache/v1/peer.proto"], {
    includeDirs: [protoDir],
    keepCase: true,
    longs: Number,
    defaults: true,
    arrays: true,
  });
  it("ListKeys round-trips through protobufjs field by field", async () => {
    const { ListKeysRequest, ListKeysResponse } = await import("./gen/plz_cache/v1/peer.js");
    const codec = (pkgPeer["plz_cache.v1.PeerSync"] as unknown as Record<string, Codec>).ListKeys!;
    const req = ListKeysRequest.fromPartial({
      begin: 7,
      end: 4294967295,
      endIsTop: true,
      after: "k",
      limit: 100,
    });
    expect(snake(codec.requestDeserialize(Buffer.from(ListKeysRequest.encode(req).finish())))).toEqual(
      snake(req),
    );
    const res = ListKeysResponse.fromPartial({
      keys: [
        {
          key: "a/b",
          digest: "ff",
          os: "linux",
          arch: "amd64",
          hash,
          package: "p",
          target: "t",
          file: "f",
          point: 9,
        },
      ],
      next: "a/b",
    });
    expect(snake(codec.responseDeserialize(Buffer.from(ListKeysResponse.encode(res).finish())))).toEqual(
      snake(res),
    );
  });
});
