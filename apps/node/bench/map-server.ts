// The ceiling the node is measured against: a bare @grpc/grpc-js RpcCache server that keeps
// artifacts in a Map, with the same generated code and message limits. Run as a child process.
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { encodeHash, type RpcCacheServer, RpcCacheService, serverChannelOptions } from "@plz-cache/protocol";

const map = new Map<string, Buffer>();
const key = (os: string, arch: string, hash: Uint8Array, pkg: string, target: string, file: string) =>
  `${os}_${arch}/${pkg}/${target}/${encodeHash(hash)}/${file}`;

const impl: RpcCacheServer = {
  store: (call, cb) => {
    const r = call.request;
    for (const a of r.artifacts) map.set(key(r.os, r.arch, r.hash, a.package, a.target, a.file), a.body);
    cb(null, { success: true });
  },
  retrieve: (call, cb) => {
    const r = call.request;
    const artifacts = [];
    for (const a of r.artifacts) {
      const body = map.get(key(r.os, r.arch, r.hash, a.package, a.target, a.file));
      if (!body) return cb(null, { success: false, artifacts: [] });
      artifacts.push({ ...a, body, symlink: "" });
    }
    cb(null, { success: true, artifacts });
  },
  delete: (_call, cb) => {
    map.clear();
    cb(null, { success: true });
  },
  listNodes: (_call, cb) => cb(null, { nodes: [] }),
};

const server = new Server(serverChannelOptions());
server.addService(RpcCacheService, impl);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ msg: "serving", port })}\n`);
});
