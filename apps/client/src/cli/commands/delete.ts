/** `plz-cache delete`: removes every hash of a target, or everything, from every node. */
import type { Command } from "commander";
import { type CliContext, globalsOf, withClient } from "../context.js";
import { targetLabel } from "../format.js";
import { writeJson, writeLine } from "../io.js";
import { addTargetOptions, type TargetOptions, targetOf } from "../target-options.js";
import { UsageError } from "../usage-error.js";

interface DeleteOptions extends TargetOptions {
  everything?: boolean;
}

export function registerDelete(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("delete")
    .description(
      "delete every hash of a target (--package and --target), or everything (--everything), on every node",
    );
  addTargetOptions(cmd, true);
  cmd.option("--everything", "empty the whole cache");
  cmd.action(async (o: DeleteOptions, self: Command) => {
    ctx.command = self;
    const g = globalsOf(self);
    if (o.everything) {
      if (o.package !== undefined || o.target !== undefined) {
        throw new UsageError("--everything cannot be combined with --package or --target");
      }
      await withClient(g, (client) => client.deleteEverything());
      if (g.json) writeJson(ctx.io.stdout, { deleted: "everything" });
      else writeLine(ctx.io.stdout, "deleted everything");
      return;
    }
    if (o.package === undefined || o.target === undefined || o.target === "") {
      throw new UsageError("name a target with --package and --target, or use --everything");
    }
    const target = targetOf(o);
    await withClient(g, (client) => client.delete(target));
    const label = targetLabel(target.package, target.target);
    if (g.json) writeJson(ctx.io.stdout, { deleted: label, os: o.os, arch: o.arch });
    else writeLine(ctx.io.stdout, `deleted ${label} (${o.os}_${o.arch})`);
  });
}
