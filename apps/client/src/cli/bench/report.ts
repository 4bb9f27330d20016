/** The text table `plz-cache bench` prints. */
import { formatBytes } from "../format.js";
import type { BenchReport, OpSummary } from "./run-bench.js";

const HEADER = ["op", "ops", "ops/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "misses"];

function row(name: string, s: OpSummary): string[] {
  const ms = (v: number) => v.toFixed(2);
  return [
    name,
    String(s.ops),
    s.opsPerSec.toFixed(1),
    s.mbPerSec.toFixed(2),
    ms(s.latencyMs.p50),
    ms(s.latencyMs.p90),
    ms(s.latencyMs.p99),
    ms(s.latencyMs.max),
    String(s.errors),
    String(s.misses),
  ];
}

/** The report as aligned text lines. */
export function formatBenchReport(
  server: string,
  nodes: number,
  sizes: readonly number[],
  r: BenchReport,
): string[] {
  const rows = [HEADER, row("store", r.store), row("retrieve", r.retrieve), row("all", r.total)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((cells) => cells[i]!.length)));
  const where = nodes === 0 ? "unclustered" : `${nodes} nodes`;
  const lines = [
    `bench against ${server} (${where}): ${r.total.ops} ops in ${(r.elapsedMs / 1000).toFixed(2)} s, ` +
      `${r.concurrency} concurrent, sizes ${sizes.map(formatBytes).join(", ")}`,
    ...rows.map((cells) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "),
    ),
  ];
  if (r.firstError !== undefined) lines.push(`first error: ${r.firstError}`);
  return lines;
}
