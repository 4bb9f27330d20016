/** Where the CLI writes, so that it can be run in-process as well as as a process. */
export interface CliIo {
  /** Results: text lines, or one JSON document with `--json`. */
  readonly stdout: NodeJS.WritableStream;
  /** Errors, notes and progress bars. */
  readonly stderr: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTTY: process.stderr.isTTY === true };
}

/** Writes one line. */
export function writeLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}

/** Writes one JSON document on a line. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}
