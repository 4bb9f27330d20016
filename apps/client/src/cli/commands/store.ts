/** `plz-cache store`: stores local files and directories as a target's artifacts. */
import type { Command } from "commander";
import { type CliContext, globalsOf, withClient } from "../context.js";
import { formatBytes, plural, targetLabel } from "../format.js";
import { writeJson, writeLine } from "../io.js";
import { progressReporter } from "../progress.js";
import { addHashOption, addTargetOptions, type HashedTargetOptions, targetOf } from "../target-options.js";

interface StoreOptions extends HashedTargetOptions {
  root: string;
}

export function registerStore(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("store")
    .description(
      "store FILEs (paths relative to --root; directories recursively, symlinks as symlinks) under a hash",
    )
    .argument("<FILE...>", "files or directories, relative to --root; stored under these relative names");
  addHashOption(cmd);
  addTargetOptions(cmd);
  cmd.option("--root <dir>", "the directory FILEs are relative to", ".");
  cmd.action(async (files: string[], o: StoreOptions, self: Command) => {
    ctx.command = self;
    const g = globalsOf(self);
    const target = targetOf(o);
    const progress = progressReporter(ctx.io);
    const res = await withClient(g, (client) =>
      client.storeFiles({ target, hash: o.hash, files, root: o.root, onProgress: progress.onProgress }),
    ).finally(() => progress.stop());
    const label = targetLabel(target.package, target.target);
    if (g.json) {
      writeJson(ctx.io.stdout, {
        stored: true,
        target: label,
        hash: o.hash.toString("hex"),
        files: res.files,
        bytes: res.bytes,
      });
    } else {
      writeLine(
        ctx.io.stdout,
        `stored ${plural(res.files.length, "file")} (${formatBytes(res.bytes)}) for ${label}`,
      );
    }
  });
}
