/** The CLI's exit codes: a contract (scripts branch on them), and these four are all there are. */
import { ClientError } from "../errors.js";

export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** `retrieve` found nothing, or not everything asked for. */
  MISS: 1,
  /**
   * The user's input is wrong: the command line (message and usage line on stderr), or a local
   * file it names (a FILE that is missing or unreadable, an `--out` that cannot be written, an
   * unreadable `--ca_cert`/`--cert`/`--key`; one line).
   */
  USAGE: 2,
  /**
   * The cache is unreachable or refused the request (including `UNAUTHENTICATED`), sent
   * something unsafe, or the client failed internally.
   */
  CACHE: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error a command failed with. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof ClientError)) return EXIT.CACHE;
  switch (err.code) {
    case "INVALID":
    case "IO":
      return EXIT.USAGE;
    default:
      return EXIT.CACHE;
  }
}
