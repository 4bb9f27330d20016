/**
 * A progress bar on stderr for transfers of more than a few MB, drawn only when stderr is a
 * terminal. The phases are those the client can observe: reading local files, waiting on the
 * cache (one message each way), writing local files.
 */
import { SingleBar } from "cli-progress";
import type { TransferProgress } from "../types.js";
import type { CliIo } from "./io.js";

/** Transfers smaller than this get no bar. */
export const PROGRESS_THRESHOLD_BYTES = 4 * 1024 * 1024;

const PHASE_LABELS: Readonly<Record<TransferProgress["phase"], string>> = {
  read: "reading  ",
  send: "storing  ",
  receive: "receiving",
  write: "writing  ",
};

export interface ProgressReporter {
  /** Feed this to the client's `onProgress`. */
  readonly onProgress: (p: TransferProgress) => void;
  /** Removes the bar, if one was drawn. */
  stop(): void;
}

const MIB = 1024 * 1024;

export function progressReporter(io: CliIo, enabled = io.stderrIsTTY): ProgressReporter {
  let bar: SingleBar | undefined;
  let phase: TransferProgress["phase"] | undefined;
  return {
    onProgress(p) {
      if (!enabled || p.totalBytes < PROGRESS_THRESHOLD_BYTES) return;
      const payload = {
        phase: PHASE_LABELS[p.phase],
        done: (p.bytes / MIB).toFixed(1),
        total: (p.totalBytes / MIB).toFixed(1),
      };
      if (bar === undefined) {
        bar = new SingleBar({
          stream: io.stderr,
          format: "{phase} [{bar}] {percentage}% | {done}/{total} MiB",
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
          // Drawn only when stderr is a terminal (checked above); this lets tests see the output.
          noTTYOutput: true,
        });
        bar.start(p.totalBytes, p.bytes, payload);
      } else {
        if (phase !== p.phase) bar.setTotal(p.totalBytes);
        bar.update(p.bytes, payload);
      }
      phase = p.phase;
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
