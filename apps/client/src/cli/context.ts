/**
 * What every command shares: the global options, how they become a {@link CacheClient}, and the
 * run's state (the command running, its exit code).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { CacheClient } from "../cache-client.js";
import { ioError } from "../internal/io-error.js";
import type { CacheClientOptions, TlsOptions } from "../options.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

/** The default `--server`. */
export const DEFAULT_SERVER = "127.0.0.1:7677";

/** The global options, as commander parses them. */
export interface GlobalOptions {
  server: string;
  ca_cert?: string;
  cert?: string;
  key?: string;
  timeout?: number;
  json?: boolean;
}

/** The state of one run of the CLI. */
export interface CliContext {
  readonly io: CliIo;
  /** The command whose action is running (for the usage line of a usage error). */
  command: Command | undefined;
  /** The exit code when the action returns normally. */
  exitCode: number;
}

/** The global options of the command running. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

function readPem(flag: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw ioError(err, `read ${flag} ${path}`);
  }
}

/** The client options the global options say. */
export function clientOptions(g: GlobalOptions): CacheClientOptions {
  if ((g.cert === undefined) !== (g.key === undefined)) {
    throw new UsageError("--cert and --key go together: give both or neither");
  }
  const opts: CacheClientOptions = {};
  if (g.timeout !== undefined) opts.timeoutMs = g.timeout;
  if (g.ca_cert !== undefined || g.cert !== undefined) {
    const tls: TlsOptions = {};
    const ca = readPem("--ca_cert", g.ca_cert);
    const cert = readPem("--cert", g.cert);
    const key = readPem("--key", g.key);
    if (ca !== undefined) tls.ca = ca;
    if (cert !== undefined) tls.cert = cert;
    if (key !== undefined) tls.key = key;
    opts.tls = tls;
  }
  return opts;
}

/** Runs `fn` with a client of `--server`, closing it afterwards. */
export async function withClient<T>(g: GlobalOptions, fn: (client: CacheClient) => Promise<T>): Promise<T> {
  const client = new CacheClient(g.server, clientOptions(g));
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
