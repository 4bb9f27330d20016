/** The CLI's exit codes (a contract: scripts branch on them). */
import { ClientError } from "../errors.js";

export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** `retrieve` found nothing, or not everything asked for. */
  MISS: 1,
  /** The command line is wrong (message and usage line on stderr). */
  USAGE: 2,
  /** The cache is unreachable, or refused the request (including `UNAUTHENTICATED`). */
  CACHE: 3,
  /** A local file could not be read or written, or an unexpected internal error. */
  LOCAL: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error a command failed with. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof ClientError)) return EXIT.LOCAL;
  switch (err.code) {
    case "INVALID":
      return EXIT.USAGE;
    case "IO":
      return EXIT.LOCAL;
    default:
      return EXIT.CACHE;
  }
}
