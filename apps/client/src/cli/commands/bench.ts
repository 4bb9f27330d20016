/** `plz-cache bench`: a bounded load generator against a server or a cluster. */
import { randomBytes } from "node:crypto";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { plzArch, plzOs } from "../../platform.js";
import { formatBenchReport } from "../bench/report.js";
import { runBench } from "../bench/run-bench.js";
import { type CliContext, globalsOf, withClient } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeLine } from "../io.js";
import { parseDuration, parseNonNegativeInt, parsePositiveInt, parseRatio, parseSizes } from "../parse.js";

interface BenchCliOptions {
  duration: number;
  count: number;
  concurrency: number;
  size: number[];
  readRatio: number;
  seed: number;
  package: string;
  keep?: boolean;
  os: string;
  arch: string;
}

export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command("bench")
    .description(
      "generate load: stores and retrieves until --count ops or --duration, then print ops/s, MB/s, latencies",
    )
    .option("--duration <duration>", "stop after this long", parseDuration, 10_000)
    .option("--count <n>", "stop after this many operations", parsePositiveInt, 10_000)
    .option("--concurrency <n>", "operations in flight at once", parsePositiveInt, 8)
    .option(
      "--size <sizes>",
      "artifact sizes, comma-separated, each store picks one (512, 64K, 1M, ...)",
      parseSizes,
      [64 * 1024],
    )
    .option("--read-ratio <r>", "fraction of operations that are retrieves, 0 to 1", parseRatio, 0.5)
    .option("--seed <n>", "seed of the random mix", parseNonNegativeInt, 1)
    .option("--package <package>", "package the benchmark's artifacts are stored under", "plz-cache-bench")
    .option("--keep", "keep the stored artifacts (by default the run's target is deleted at the end)")
    .option("--os <os>", "platform OS of the artifacts", plzOs())
    .option("--arch <arch>", "platform architecture of the artifacts", plzArch())
    .action(async (o: BenchCliOptions, self: Command) => {
      ctx.command = self;
      const g = globalsOf(self);
      const target = {
        package: o.package,
        target: `run-${randomBytes(6).toString("hex")}`,
        os: o.os,
        arch: o.arch,
      };
      await withClient(g, async (client) => {
        const nodes = await client.nodes();
        let bar: SingleBar | undefined;
        if (ctx.io.stderrIsTTY && !g.json) {
          bar = new SingleBar({
            stream: ctx.io.stderr,
            format: "bench [{bar}] {value}/{total} ops",
            clearOnComplete: true,
          });
          bar.start(o.count, 0);
        }
        const report = await runBench(client, {
          durationMs: o.duration,
          count: o.count,
          concurrency: o.concurrency,
          sizes: o.size,
          readRatio: o.readRatio,
          seed: o.seed,
          target,
          ...(bar !== undefined ? { onTick: (done: number) => bar.update(done) } : {}),
        }).finally(() => bar?.stop());
        let cleanupError: string | undefined;
        if (!o.keep) {
          await client.delete(target).catch((err: unknown) => {
            cleanupError = (err as Error).message;
          });
        }
        if (g.json) {
          writeJson(ctx.io.stdout, {
            server: g.server,
            nodes: nodes.length,
            target: `//${target.package}:${target.target}`,
            sizes: o.size,
            readRatio: o.readRatio,
            ...report,
          });
        } else {
          for (const line of formatBenchReport(g.server, nodes.length, o.size, report))
            writeLine(ctx.io.stdout, line);
        }
        if (cleanupError !== undefined)
          writeLine(ctx.io.stderr, `plz-cache bench: cleanup failed: ${cleanupError}`);
        if (report.total.errors > 0) {
          writeLine(ctx.io.stderr, `plz-cache bench: ${report.total.errors} operation(s) failed`);
          ctx.exitCode = EXIT.CACHE;
        }
      });
    });
}
