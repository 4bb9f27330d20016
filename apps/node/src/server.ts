import { mkdirSync } from "node:fs";
import { Server } from "@grpc/grpc-js";
import {
  HealthService,
  PeerSyncService,
  RpcCacheService,
  RpcServerService,
  serverChannelOptions,
} from "@plz-cache/protocol";
import { ArtifactStore } from "@plz-cache/store";
import { AccessPolicy, loadCertificateList } from "./auth.js";
import { FixedCluster } from "./cluster/fixed-cluster.js";
import { membersJson } from "./cluster/gossip.js";
import { PeerAuth } from "./cluster/peer-auth.js";
import { PeerClients } from "./cluster/peer-clients.js";
import { createPeerServices } from "./cluster/rpc-server.js";
import type { NodeConfig } from "./config.js";
import { HealthState } from "./health.js";
import { HttpFront } from "./http.js";
import type { NodeLogger } from "./logger.js";
import { NodeMetrics } from "./metrics.js";
import { type ClusterHooks, createRpcCacheService } from "./rpc-cache.js";
import { peerChannelCredentials, serverCredentials, type TlsFiles } from "./tls.js";

/** How long `close()` waits for in-flight RPCs before cancelling them. Default 10 s. */
export const DEFAULT_GRACE_MS = 10_000;

/** A running cache node: gRPC server, store, HTTP front. */
export class CacheServer {
  readonly config: NodeConfig;
  readonly logger: NodeLogger;
  readonly store: ArtifactStore;
  readonly metrics: NodeMetrics;
  readonly policy: AccessPolicy;
  readonly grpc: Server;
  readonly health = new HealthState();
  readonly http: HttpFront | undefined;
  readonly tls: TlsFiles | undefined;
  #port = 0;
  #httpPort: number | undefined;
  #closing: Promise<void> | undefined;
  /** The fixed cluster this node is part of, when clustered. */
  cluster: FixedCluster | undefined;
  readonly peerAuth: PeerAuth | undefined;

  private constructor(config: NodeConfig, logger: NodeLogger, store: ArtifactStore) {
    this.config = config;
    this.logger = logger;
    this.store = store;
    // Peers prove themselves by certificate when --cluster_certs is given, else by the secret.
    this.peerAuth =
      config.clusterSecret && !config.clusterCerts ? new PeerAuth(config.clusterSecret) : undefined;
    this.tls = config.keyFile
      ? { keyFile: config.keyFile, certFile: config.certFile!, caCertFile: config.caCertFile }
      : undefined;
    this.policy = new AccessPolicy({
      writable: config.writableCerts ? loadCertificateList(config.writableCerts) : undefined,
      readonly: config.readonlyCerts ? loadCertificateList(config.readonlyCerts) : undefined,
      peers: config.clusterCerts ? loadCertificateList(config.clusterCerts) : undefined,
      peerAuth: this.peerAuth,
    });
    this.metrics = new NodeMetrics(
      () => store.stats(),
      () => this.cluster?.queueDepth() ?? 0,
      () => this.cluster?.replicationInFlight() ?? 0,
    );
    this.grpc = new Server(serverChannelOptions());
    this.grpc.addService(
      RpcCacheService,
      createRpcCacheService({
        store,
        metrics: this.metrics,
        policy: this.policy,
        logger,
        cluster: {
          listNodes: () => this.cluster?.listNodes() ?? [],
          afterStore: (req) => this.cluster?.afterStore(req),
          afterDelete: (req) => this.cluster?.afterDelete(req),
        } satisfies ClusterHooks,
      }),
    );
    const peer = createPeerServices({
      store,
      metrics: this.metrics,
      policy: this.policy,
      logger,
      peers: () => this.cluster,
    });
    this.grpc.addService(RpcServerService, peer.rpcServer);
    this.grpc.addService(PeerSyncService, peer.peerSync);
    this.grpc.addService(HealthService, this.health.service());
    if (config.httpPort !== undefined) {
      this.http = new HttpFront(logger)
        .route("/", async () => {
          const s = store.stats();
          return {
            type: "text/plain",
            body: `Total size: ${s.totalBytes} bytes\nNum files: ${s.numFiles}\n`,
          };
        })
        .route("/metrics", async () => ({
          type: this.metrics.registry.contentType,
          body: await this.metrics.registry.metrics(),
        }))
        .route("/members", async () => ({
          type: "application/json",
          body: this.cluster ? membersJson(this.cluster.membership) : "[]",
        }));
    }
  }

  /** Opens the store and binds the servers; resolves once serving. */
  static async start(config: NodeConfig, logger: NodeLogger): Promise<CacheServer> {
    mkdirSync(config.dir, { recursive: true });
    const store = await ArtifactStore.open({
      dir: config.dir,
      lowWaterMark: config.lowWaterMark,
      highWaterMark: config.highWaterMark,
      maxArtifactAgeMs: config.maxArtifactAgeMs,
      cleanFrequencyMs: config.cleanFrequencyMs,
      fsync: config.fsync,
      logger: logger.child({ component: "store" }),
    });
    let server: CacheServer;
    try {
      server = new CacheServer(config, logger, store);
      await server.#bind();
    } catch (err) {
      await store.close();
      throw err;
    }
    store.start();
    if (isClustered(config)) {
      if (!server.policy.peersAuthenticated) {
        logger.warn(
          "cluster peers are not authenticated (no --cluster_certs or --cluster_secret): anyone can Join and Replicate",
        );
      }
      try {
        server.cluster = await FixedCluster.start({
          config,
          logger,
          store,
          clients: new PeerClients(
            server.tls ? peerChannelCredentials(server.tls) : undefined,
            server.peerAuth,
          ),
          grpcPort: server.port,
        });
      } catch (err) {
        await server.close(0);
        throw err;
      }
    }
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  async #bind(): Promise<void> {
    const creds = serverCredentials(this.tls);
    this.#port = await new Promise<number>((resolve, reject) => {
      this.grpc.bindAsync(`${this.config.host}:${this.config.port}`, creds, (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
    if (this.http) this.#httpPort = await this.http.listen(this.config.host, this.config.httpPort ?? 0);
  }

  /** Marks the node SERVING. */
  markServing(): void {
    this.health.set(true);
  }

  /**
   * Graceful shutdown: stop taking new RPCs, let in-flight ones finish (up to `graceMs`,
   * then cancel them), then close the store.
   */
  close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    this.#closing ??= (async () => {
      this.health.set(false);
      this.health.endWatches();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.logger.warn({ graceMs }, "grace period over: cancelling in-flight RPCs");
          this.grpc.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        this.grpc.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await this.cluster?.close();
      await this.http?.close();
      await this.store.close();
    })();
    return this.#closing;
  }

  /** Cancels everything at once. */
  forceClose(): void {
    this.grpc.forceShutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Whether the flags put this node in a cluster. */
export function isClustered(config: NodeConfig): boolean {
  return config.seedCluster || config.clusterAddresses.length > 0 || config.seedIf !== undefined;
}
