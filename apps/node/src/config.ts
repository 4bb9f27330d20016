import { hostname } from "node:os";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { parseDuration, parseSize } from "./units.js";

/** Log levels, from the original's names (and their numeric forms 0-5). */
export const VERBOSITIES = ["critical", "error", "warning", "notice", "info", "debug"] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

/** The node's whole configuration, validated. */
export interface NodeConfig {
  host: string;
  port: number;
  httpPort: number | undefined;
  dir: string;
  verbosity: Verbosity;
  logFile: string | undefined;
  lowWaterMark: number;
  highWaterMark: number;
  cleanFrequencyMs: number;
  maxArtifactAgeMs: number;
  fsync: boolean;
  keyFile: string | undefined;
  certFile: string | undefined;
  caCertFile: string | undefined;
  writableCerts: string | undefined;
  readonlyCerts: string | undefined;
  clusterPort: number;
  clusterAddresses: string[];
  seedCluster: boolean;
  clusterSize: number | undefined;
  nodeName: string;
  seedIf: string | undefined;
  advertiseAddr: string | undefined;
  clusterSecret: string | undefined;
  clusterCerts: string | undefined;
}

/** A configuration error: the CLI prints `message` on one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError("must be a port number 0-65535");
  return n;
}
function size(v: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
function duration(v: string): number {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
function verbosity(v: string): Verbosity {
  const lower = v.toLowerCase();
  const aliases: Record<string, Verbosity> = { warn: "warning", fatal: "critical", crit: "critical" };
  if (/^[0-5]$/.test(lower)) return VERBOSITIES[Number(lower)]!;
  const found = aliases[lower] ?? VERBOSITIES.find((x) => x === lower);
  if (!found) throw new InvalidArgumentError(`must be one of ${VERBOSITIES.join(", ")} (or 0-5)`);
  return found;
}
function positiveInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("must be a whole number");
  return Number(v);
}

/** The command line, with the original `rpc_cache_server`'s flag names, short forms and defaults. */
export function buildCommand(): Command {
  return new Command("plz-cache-node")
    .description("A clustered, wire-compatible plz RPC cache node.")
    .helpOption("--help", "show this help")
    .addOption(new Option("--host <addr>", "address to bind the gRPC and HTTP servers to").default("0.0.0.0"))
    .addOption(new Option("-p, --port <port>", "gRPC port").default(7677).argParser(port))
    .addOption(
      new Option("-h, --http_port <port>", "HTTP port for / and /metrics (off by default)").argParser(port),
    )
    .addOption(new Option("-d, --dir <dir>", "storage directory").default("plz-rpc-cache"))
    .addOption(
      new Option("-v, --verbosity <level>", "log level (critical, error, warning, notice, info, debug)")
        .default("notice" as Verbosity)
        .argParser(verbosity),
    )
    .addOption(new Option("--log_file <file>", "also log to this file"))
    .addOption(
      new Option("-l, --low_water_mark <size>", "clean down to this size").default(18e9).argParser(size),
    )
    .addOption(
      new Option("-i, --high_water_mark <size>", "clean when over this size").default(20e9).argParser(size),
    )
    .addOption(
      new Option("-f, --clean_frequency <duration>", "how often to clean")
        .default(600_000)
        .argParser(duration),
    )
    .addOption(
      new Option("-m, --max_artifact_age <duration>", "remove what has not been read for this long")
        .default(720 * 3_600_000)
        .argParser(duration),
    )
    .addOption(
      new Option("--fsync", "fdatasync each artifact file before renaming it into place (off by default)"),
    )
    .addOption(new Option("--no-fsync", "do not fdatasync artifact files (the default)"))
    .addOption(new Option("--key_file <file>", "TLS private key"))
    .addOption(new Option("--cert_file <file>", "TLS certificate"))
    .addOption(new Option("--ca_cert_file <file>", "CA certificate(s) for client certificates"))
    .addOption(
      new Option("--writable_certs <path>", "PEM file or directory: clients allowed to write (and read)"),
    )
    .addOption(new Option("--readonly_certs <path>", "PEM file or directory: clients allowed to read"))
    .addOption(new Option("--cluster_port <port>", "gossip port").default(7946).argParser(port))
    .addOption(new Option("-c, --cluster_addresses <addrs>", "comma-separated gossip addresses to join"))
    .addOption(new Option("--seed_cluster", "seed a new cluster").default(false))
    .addOption(
      new Option("--cluster_size <n>", "expected node count; required with --seed_cluster").argParser(
        positiveInt,
      ),
    )
    .addOption(new Option("--node_name <name>", "this node's name").env("NODE_NAME").default(hostname()))
    .addOption(
      new Option(
        "--seed_if <name>",
        "seed when this node is NAME and the cluster addresses resolve to nothing",
      ),
    )
    .addOption(new Option("--advertise_addr <addr>", "address advertised to other nodes").env("NODE_IP"))
    .addOption(
      new Option("--cluster_secret <secret>", "shared secret: encrypts gossip, authenticates peers").env(
        "PLZ_CACHE_CLUSTER_SECRET",
      ),
    )
    .addOption(
      new Option("--cluster_certs <path>", "PEM file or directory: peer certificates allowed on RpcServer"),
    )
    .allowExcessArguments(false);
}

/** Parses and validates argv (without node and script) and the env fallbacks; throws ConfigError on any problem. */
export function parseConfig(argv: string[]): NodeConfig {
  const cmd = buildCommand();
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) });
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed") throw new ConfigError("", 0);
      throw new ConfigError(oneLine(e.message));
    }
    throw e;
  }
  const o = cmd.opts();
  const config: NodeConfig = {
    host: o.host,
    port: o.port,
    httpPort: o.http_port,
    dir: o.dir,
    verbosity: o.verbosity,
    logFile: o.log_file,
    lowWaterMark: o.low_water_mark,
    highWaterMark: o.high_water_mark,
    cleanFrequencyMs: o.clean_frequency,
    maxArtifactAgeMs: o.max_artifact_age,
    fsync: o.fsync === true,
    keyFile: o.key_file,
    certFile: o.cert_file,
    caCertFile: o.ca_cert_file,
    writableCerts: o.writable_certs,
    readonlyCerts: o.readonly_certs,
    clusterPort: o.cluster_port,
    clusterAddresses: o.cluster_addresses
      ? String(o.cluster_addresses)
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
    seedCluster: o.seed_cluster,
    clusterSize: o.cluster_size,
    nodeName: o.node_name,
    seedIf: o.seed_if,
    advertiseAddr: o.advertise_addr,
    clusterSecret: o.cluster_secret,
    clusterCerts: o.cluster_certs,
  };
  validate(config);
  return config;
}

/**
 * A commander message on one line: its "error: " prefix dropped and a suggestion on the next
 * line ("\n(Did you mean --http_port?)") folded in as "(did you mean --http_port?)".
 */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, "")
    .replace(/\s*\n\s*\(Did you mean /g, " (did you mean ")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

function validate(c: NodeConfig): void {
  if (c.lowWaterMark > c.highWaterMark) {
    throw new ConfigError("--low_water_mark must not be above --high_water_mark");
  }
  if (c.cleanFrequencyMs <= 0) throw new ConfigError("--clean_frequency must be positive");
  if (!c.dir) throw new ConfigError("--dir must not be empty");
  if (Boolean(c.keyFile) !== Boolean(c.certFile)) {
    throw new ConfigError("--key_file and --cert_file go together: give both or neither");
  }
  const tls = Boolean(c.keyFile);
  if (!tls && (c.caCertFile || c.writableCerts || c.readonlyCerts || c.clusterCerts)) {
    throw new ConfigError(
      "--ca_cert_file, --writable_certs, --readonly_certs and --cluster_certs need TLS (--key_file and --cert_file)",
    );
  }
  if ((c.writableCerts || c.readonlyCerts || c.clusterCerts) && !c.caCertFile) {
    throw new ConfigError("client certificate lists need --ca_cert_file to verify client certificates");
  }
  if (c.clusterCerts && !c.clusterSecret) {
    throw new ConfigError(
      "--cluster_certs needs --cluster_secret (or PLZ_CACHE_CLUSTER_SECRET) too: gossip is not TLS, the secret encrypts and authenticates it",
    );
  }
  if (c.seedCluster && (c.clusterSize === undefined || c.clusterSize < 2)) {
    throw new ConfigError("--seed_cluster needs --cluster_size greater than 1");
  }
  if (c.seedIf !== undefined && c.seedIf === c.nodeName && c.clusterSize === undefined) {
    throw new ConfigError(`--seed_if ${c.seedIf} needs --cluster_size on the node that may seed`);
  }
  if (c.clusterSize !== undefined && c.clusterSize < 2) {
    throw new ConfigError("--cluster_size must be greater than 1");
  }
  if (!c.nodeName) throw new ConfigError("--node_name must not be empty");
}
