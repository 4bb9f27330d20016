import { Membership } from "@plz-cache/membership";
import type { NodeConfig } from "../config.js";
import type { NodeLogger } from "../logger.js";

/** The metadata a node gossips about itself. */
export interface NodeMeta {
  /** host:port of its gRPC server. */
  grpc: string;
  /** Cluster mode: `fixed` (the original's) for now. */
  mode: string;
  /** Its slot in a fixed cluster, once it has one. */
  slot?: string;
  /** The fixed cluster's size, once known. */
  size?: string;
}

/** The address others use to reach this node's gRPC server. */
export function advertisedGrpcAddress(config: NodeConfig, port: number): string {
  const host =
    config.advertiseAddr ?? (config.host === "0.0.0.0" || config.host === "::" ? undefined : config.host);
  return `${formatHost(host ?? "127.0.0.1")}:${port}`;
}

function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** Starts gossip on `--cluster_port` with this node's name, advertised address and secret. */
export async function startGossip(
  config: NodeConfig,
  logger: NodeLogger,
  meta: NodeMeta,
): Promise<Membership> {
  const membership = new Membership({
    name: config.nodeName,
    bindHost: config.host,
    bindPort: config.clusterPort,
    ...(config.advertiseAddr ? { advertiseHost: config.advertiseAddr } : {}),
    meta: { ...meta },
    ...(config.clusterSecret ? { secret: config.clusterSecret } : {}),
    logger: logger.child({ component: "membership" }),
  });
  await membership.start();
  return membership;
}

/** `GET /members`: every member as this node sees it. */
export function membersJson(membership: Membership): string {
  return JSON.stringify(
    membership.members().map((m) => ({
      name: m.name,
      address: m.meta.grpc ?? "",
      gossip: m.address,
      state: m.state,
      incarnation: m.incarnation,
    })),
  );
}
