/** `plz-cache nodes`: the cluster's nodes, one a line. */
import type { Command } from "commander";
import { type CliContext, globalsOf, withClient } from "../context.js";
import { writeJson, writeLine } from "../io.js";

export function registerNodes(program: Command, ctx: CliContext): void {
  program
    .command("nodes")
    .description("list the cluster's nodes: name, address, hash range [begin, end) (none when not clustered)")
    .action(async (_opts: object, cmd: Command) => {
      ctx.command = cmd;
      const g = globalsOf(cmd);
      const nodes = await withClient(g, (client) => client.nodes());
      if (g.json) {
        writeJson(ctx.io.stdout, { server: g.server, clustered: nodes.length > 0, nodes });
        return;
      }
      if (nodes.length === 0) {
        writeLine(ctx.io.stderr, `plz-cache nodes: ${g.server} is not clustered: it serves every key itself`);
        return;
      }
      const nameWidth = Math.max(...nodes.map((n) => n.name.length));
      const addressWidth = Math.max(...nodes.map((n) => n.address.length));
      for (const n of nodes) {
        writeLine(
          ctx.io.stdout,
          `${n.name.padEnd(nameWidth)}  ${n.address.padEnd(addressWidth)}  [${n.hashBegin}, ${n.hashEnd})`,
        );
      }
    });
}
