import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliIo } from "./io.js";
import { PROGRESS_THRESHOLD_BYTES, progressReporter } from "./progress.js";

function io(tty: boolean): { io: CliIo; written: () => string } {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (d) => (text += d));
  return { io: { stdout: new PassThrough(), stderr, stderrIsTTY: tty }, written: () => text };
}

describe("progressReporter", () => {
  it("draws a bar on a terminal for a transfer over the threshold", () => {
    const t = io(true);
    const p = progressReporter(t.io);
    const total = PROGRESS_THRESHOLD_BYTES * 2;
    p.onProgress({ phase: "read", bytes: 0, totalBytes: total });
    p.onProgress({ phase: "read", bytes: total, totalBytes: total });
    p.stop();
    expect(t.written()).toContain("reading");
    expect(t.written()).toContain("MiB");
  });

  it("draws nothing for small transfers, or when stderr is not a terminal", () => {
    for (const [tty, total] of [
      [true, PROGRESS_THRESHOLD_BYTES - 1],
      [false, PROGRESS_THRESHOLD_BYTES * 2],
    ] as const) {
      const t = io(tty);
      const p = progressReporter(t.io);
      p.onProgress({ phase: "write", bytes: 0, totalBytes: total });
      p.onProgress({ phase: "write", bytes: total, totalBytes: total });
      p.stop();
      expect(t.written()).toBe("");
    }
  });
});
