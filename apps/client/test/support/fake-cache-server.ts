/**
 * A tiny in-process RpcCache server for tests: an in-memory store with plz's semantics (all or
 * nothing; a directory name returns the files below it), a configurable `ListNodes`, a record of
 * every call, and switches to make it fail. `FakeCluster` runs several that list each other.
 */
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import { hashPoint } from "@plz-cache/hashring";
import {
  type Artifact,
  encodeHash,
  type Node,
  type RpcCacheServer,
  RpcCacheService,
  serverChannelOptions,
  serviceError,
} from "@plz-cache/protocol";

export type FakeMethod = "store" | "retrieve" | "delete" | "listNodes";

export interface FakeCall {
  readonly method: FakeMethod;
  /** The request hash in hex (store, retrieve). */
  readonly hash?: string;
  readonly request: unknown;
}

/** How the fake answers a method: normally, or with a gRPC error status. */
export type FakeBehaviour = "ok" | { readonly status: status; readonly details?: string };

export class FakeCacheServer {
  readonly name: string;
  readonly calls: FakeCall[] = [];
  /** What `ListNodes` answers; `undefined` answers UNIMPLEMENTED (a server without clustering). */
  listNodes: Node[] | undefined = [];
  readonly behaviour: Partial<Record<FakeMethod, FakeBehaviour>> = {};
  /** Milliseconds to wait before answering anything. */
  delayMs = 0;
  readonly #data = new Map<string, Artifact>();
  readonly #server: Server;
  port = 0;

  private constructor(name: string, server: Server) {
    this.name = name;
    this.#server = server;
  }

  /** Starts a fake on 127.0.0.1 (`port` 0, the default, picks a free one; insecure by default). */
  static async start(
    name: string,
    opts: { port?: number; credentials?: ServerCredentials } = {},
  ): Promise<FakeCacheServer> {
    const port = opts.port ?? 0;
    const server = new Server(serverChannelOptions());
    const fake = new FakeCacheServer(name, server);
    server.addService(RpcCacheService, fake.#service());
    fake.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${port}`,
        opts.credentials ?? ServerCredentials.createInsecure(),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    return fake;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Calls of `method` received so far. */
  count(method: FakeMethod): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  /** Whether an artifact is stored (key as the server builds it). */
  has(os: string, arch: string, pkg: string, target: string, hash: Buffer, file: string): boolean {
    return this.#data.has(`${os}_${arch}/${pkg}/${target}/${encodeHash(hash)}/${file}`);
  }

  /** Stops at once (connections are reset, as when a node dies). */
  stop(): void {
    this.#server.forceShutdown();
  }

  #answer<Req, Res>(
    method: FakeMethod,
    fn: (req: Req) => Res,
    hashOf?: (req: Req) => Buffer,
  ): (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => void {
    return (call, cb) => {
      const hash = hashOf?.(call.request);
      this.calls.push({ method, request: call.request, ...(hash ? { hash: hash.toString("hex") } : {}) });
      const reply = () => {
        const b = this.behaviour[method] ?? "ok";
        if (b !== "ok") {
          cb({
            code: b.status,
            details: b.details ?? `fake ${this.name} fails`,
            message: b.details ?? "",
          } as never);
          return;
        }
        try {
          cb(null, fn(call.request));
        } catch (err) {
          cb(serviceError("INTERNAL", (err as Error).message) as never);
        }
      };
      if (this.delayMs > 0) setTimeout(reply, this.delayMs);
      else reply();
    };
  }

  #service(): RpcCacheServer {
    const prefix = (os: string, arch: string, a: Artifact, hash: Buffer) =>
      `${os}_${arch}/${a.package}/${a.target}/${encodeHash(hash)}/`;
    return {
      store: this.#answer(
        "store",
        (req) => {
          for (const a of req.artifacts) this.#data.set(prefix(req.os, req.arch, a, req.hash) + a.file, a);
          return { success: true };
        },
        (req) => req.hash,
      ),
      retrieve: this.#answer(
        "retrieve",
        (req) => {
          const out: Artifact[] = [];
          for (const a of req.artifacts) {
            const p = prefix(req.os, req.arch, a, req.hash);
            const hits = [...this.#data.entries()].filter(
              ([k]) => k === p + a.file || k.startsWith(`${p + a.file}/`),
            );
            if (hits.length === 0) return { success: false, artifacts: [] };
            out.push(...hits.map(([, v]) => v));
          }
          return { success: true, artifacts: out };
        },
        (req) => req.hash,
      ),
      delete: this.#answer("delete", (req) => {
        if (req.everything) this.#data.clear();
        for (const a of req.artifacts) {
          const p = `${req.os}_${req.arch}/${a.package}/${a.target}/`;
          for (const k of [...this.#data.keys()]) if (k.startsWith(p)) this.#data.delete(k);
        }
        return { success: true };
      }),
      listNodes: (
        call: ServerUnaryCall<unknown, { nodes: Node[] }>,
        cb: sendUnaryData<{ nodes: Node[] }>,
      ) => {
        this.calls.push({ method: "listNodes", request: call.request });
        const b = this.behaviour.listNodes ?? "ok";
        if (b !== "ok") cb({ code: b.status, details: b.details ?? "", message: "" } as never);
        else if (this.listNodes === undefined)
          cb({ code: status.UNIMPLEMENTED, details: "no", message: "" } as never);
        else cb(null, { nodes: this.listNodes });
      },
    };
  }
}

/** `n` fakes; each lists all of them, node `i` owning `[hashPoint(i, n), hashPoint(i + 1, n))`. */
export class FakeCluster {
  readonly nodes: FakeCacheServer[];

  private constructor(nodes: FakeCacheServer[]) {
    this.nodes = nodes;
    this.publish();
  }

  static async start(n: number): Promise<FakeCluster> {
    const nodes: FakeCacheServer[] = [];
    for (let i = 0; i < n; i++) nodes.push(await FakeCacheServer.start(`node-${i}`));
    return new FakeCluster(nodes);
  }

  node(i: number): FakeCacheServer {
    return this.nodes[i]!;
  }

  /** The `ListNodes` answer every member gives. */
  topology(): Node[] {
    const n = this.nodes.length;
    return this.nodes.map((f, i) => ({
      name: f.name,
      address: f.address,
      hashBegin: hashPoint(i, n),
      hashEnd: hashPoint(i + 1, n),
    }));
  }

  /** Makes every member list the current addresses. */
  publish(): void {
    const topology = this.topology();
    for (const f of this.nodes) f.listNodes = topology;
  }

  /** Kills node `i` and starts it again (empty) on a new port; every member then lists the new address. */
  async restart(i: number): Promise<FakeCacheServer> {
    const old = this.node(i);
    old.stop();
    const fresh = await FakeCacheServer.start(old.name);
    this.nodes[i] = fresh;
    this.publish();
    return fresh;
  }

  stop(): void {
    for (const f of this.nodes) f.stop();
  }
}

/** A 20-byte hash whose point (`hash(key)`) is `point`. */
export function hashAt(point: number, salt = 0): Buffer {
  const b = Buffer.alloc(20, salt & 0xff);
  b.writeUInt32LE(point >>> 0, 0);
  return b;
}
