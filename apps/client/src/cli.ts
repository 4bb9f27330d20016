#!/usr/bin/env node
/**
 * The `plz-cache` executable. Exit codes: 0 ok, 1 miss, 2 usage (or a local file the command line
 * names), 3 cache unreachable or refused (or an internal error).
 */
import { runCli } from "./cli/main.js";

// grpc-js names the server by its IP for TLS, which Node flags (DEP0123) on every connection:
// noise on stderr for the user, who can do nothing about it.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  const code = typeof rest[0] === "object" ? (rest[0] as { code?: string } | null)?.code : rest[1];
  if (code === "DEP0123") return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`plz-cache: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 3;
  },
);
