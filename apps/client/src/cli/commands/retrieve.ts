/** `plz-cache retrieve`: writes a target's artifacts under a local directory. */
import type { Command } from "commander";
import { DEFAULT_FILE_MODE } from "../../write-files.js";
import { type CliContext, globalsOf, withClient } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { formatBytes, plural, targetLabel } from "../format.js";
import { writeJson, writeLine } from "../io.js";
import { parseMode } from "../parse.js";
import { progressReporter } from "../progress.js";
import { addHashOption, addTargetOptions, type HashedTargetOptions, targetOf } from "../target-options.js";

interface RetrieveOptions extends HashedTargetOptions {
  out: string;
  mode: number;
}

export function registerRetrieve(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("retrieve")
    .description("retrieve FILEs stored under a hash and write them under --out (exit 1 on a miss)")
    .argument("<FILE...>", "files or directories, as they were stored");
  addHashOption(cmd);
  addTargetOptions(cmd);
  cmd
    .option("--out <dir>", "the directory to write FILEs under (created if missing)", ".")
    .option("--mode <octal>", "mode of the files written, before the umask", parseMode, DEFAULT_FILE_MODE);
  cmd.action(async (files: string[], o: RetrieveOptions, self: Command) => {
    ctx.command = self;
    const g = globalsOf(self);
    const target = targetOf(o);
    const label = targetLabel(target.package, target.target);
    const hash = o.hash.toString("hex");
    const progress = progressReporter(ctx.io);
    const res = await withClient(g, (client) =>
      client.retrieveFiles({
        target,
        hash: o.hash,
        files,
        out: o.out,
        fileMode: o.mode,
        onProgress: progress.onProgress,
      }),
    ).finally(() => progress.stop());
    if (res === null) {
      if (g.json) writeJson(ctx.io.stdout, { hit: false, target: label, hash });
      writeLine(
        ctx.io.stderr,
        `plz-cache retrieve: miss: ${label} has no ${files.join(", ")} under hash ${hash}`,
      );
      ctx.exitCode = EXIT.MISS;
      return;
    }
    if (g.json) {
      writeJson(ctx.io.stdout, {
        hit: true,
        target: label,
        hash,
        out: o.out,
        files: res.files,
        bytes: res.bytes,
      });
    } else {
      writeLine(
        ctx.io.stdout,
        `retrieved ${plural(res.files.length, "file")} (${formatBytes(res.bytes)}) into ${o.out}`,
      );
    }
  });
}
