import { createWriteStream } from "node:fs";
import pino, { type Logger } from "pino";
import type { Verbosity } from "./config.js";

/** pino levels for the original's verbosity names; `notice` sits between info and warn. */
const LEVELS: Record<Verbosity, string> = {
  critical: "fatal",
  error: "error",
  warning: "warn",
  notice: "notice",
  info: "info",
  debug: "debug",
};

export type NodeLogger = Logger<"notice">;

/** The node's logger: JSON lines on stdout, and also to `logFile` when given. */
export function createLogger(verbosity: Verbosity, logFile?: string, name?: string): NodeLogger {
  const streams: pino.StreamEntry<string>[] = [{ level: "trace", stream: process.stdout }];
  if (logFile) streams.push({ level: "trace", stream: createWriteStream(logFile, { flags: "a" }) });
  return pino(
    {
      level: LEVELS[verbosity],
      customLevels: { notice: 35 },
      base: name ? { node: name } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams, { levels: { ...pino.levels.values, notice: 35 } }),
  ) as NodeLogger;
}
