#!/usr/bin/env node
import { ClusterError } from "./cluster/fixed-cluster.js";
import { ConfigError, parseConfig } from "./config.js";
import { checkConfigFiles } from "./config-files.js";
import { createLogger } from "./logger.js";
import { CacheServer } from "./server.js";

async function main(): Promise<void> {
  // Reads, writes and big-body hashing run on the libuv pool; the default 4 threads is tight for
  // a server. Set before anything touches the pool.
  process.env.UV_THREADPOOL_SIZE ??= "16";
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.argv.slice(2));
    checkConfigFiles(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      if (err.message) process.stderr.write(`plz-cache-node: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    throw err;
  }
  const logger = createLogger(config.verbosity, config.logFile, config.nodeName);
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));
  process.on("uncaughtException", (err) => logger.error({ err }, "uncaught exception"));

  let server: CacheServer;
  try {
    server = await CacheServer.start(config, logger);
  } catch (err) {
    logger.fatal({ err }, "could not start");
    const what = err instanceof ClusterError ? "could not join the cluster" : "could not start";
    process.stderr.write(`plz-cache-node: ${what}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  server.markServing();
  logger.notice(
    {
      port: server.port,
      httpPort: server.httpPort,
      clusterPort: server.cluster?.membership.address,
      slot: server.cluster?.slot,
      dir: config.dir,
      tls: Boolean(server.tls),
    },
    "serving",
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: forcing shutdown");
      server.forceClose();
      process.exit(1);
    }
    logger.notice({ signal }, "draining in-flight requests, then exiting");
    server.close().then(
      () => {
        logger.notice("stopped");
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

void main();
