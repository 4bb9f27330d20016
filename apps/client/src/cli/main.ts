/**
 * The `plz-cache` command line. {@link runCli} runs one invocation and resolves with its exit
 * code; it never exits the process or prints a stack trace.
 */
import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { ClientError } from "../errors.js";
import { registerBench } from "./commands/bench.js";
import { registerDelete } from "./commands/delete.js";
import { registerNodes } from "./commands/nodes.js";
import { registerRetrieve } from "./commands/retrieve.js";
import { registerStore } from "./commands/store.js";
import { type CliContext, DEFAULT_SERVER } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { type CliIo, processIo, writeLine } from "./io.js";
import { parseDuration } from "./parse.js";
import { UsageError } from "./usage-error.js";

function usageLine(cmd: Command): string {
  const path = cmd.parent ? `plz-cache ${cmd.name()}` : "plz-cache";
  return `Usage: ${path} ${cmd.usage()}`;
}

/** Errors are one line, whatever the message held. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

function prefix(cmd: Command): string {
  return cmd.parent ? `plz-cache ${cmd.name()}` : "plz-cache";
}

/** The program, with every command, writing to `ctx.io`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("plz-cache")
    .description("client of a plz RPC cache (a single server or a cluster)")
    .version(packageJson.version)
    .addOption(
      new Option("--server <host:port>", "the cache server (any node of a cluster)").default(DEFAULT_SERVER),
    )
    .option("--ca_cert <file>", "CA certificate (PEM) to verify the server with; turns TLS on")
    .option(
      "--cert <file>",
      "client certificate (PEM) for servers that check them; needs --key; turns TLS on",
    )
    .option("--key <file>", "client private key (PEM); needs --cert")
    .option(
      "--timeout <duration>",
      "deadline of each call: 30s, 500ms, 1m, or milliseconds (default: 30s)",
      parseDuration,
    )
    .option("--json", "print results as JSON")
    .showSuggestionAfterError(true);
  registerNodes(program, ctx);
  registerStore(program, ctx);
  registerRetrieve(program, ctx);
  registerDelete(program, ctx);
  registerBench(program, ctx);
  for (const cmd of [program, ...program.commands]) {
    cmd
      .exitOverride()
      .configureOutput({
        writeOut: (s) => ctx.io.stdout.write(s),
        writeErr: (s) => ctx.io.stderr.write(s),
        outputError: (s, write) => write(`${prefix(cmd)}: ${s.replace(/^error: /, "")}`),
      })
      .showHelpAfterError(usageLine(cmd));
  }
  return program;
}

/** Runs the CLI on `argv` (without the node and script paths); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, command: undefined, exitCode: EXIT.OK };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Already reported by commander (through outputError), with the usage line.
      return err.code === "commander.helpDisplayed" || err.code === "commander.version"
        ? EXIT.OK
        : EXIT.USAGE;
    }
    const cmd = ctx.command ?? program;
    if (err instanceof UsageError || (err instanceof ClientError && err.code === "INVALID")) {
      writeLine(io.stderr, `${prefix(cmd)}: ${oneLine(err.message)}`);
      writeLine(io.stderr, usageLine(cmd));
      return EXIT.USAGE;
    }
    // A local file problem (IO: exit 2) or the cache's (exit 3): one line, no usage line.
    if (err instanceof ClientError) {
      writeLine(io.stderr, `${prefix(cmd)}: ${oneLine(err.message)}`);
      return exitCodeFor(err);
    }
    writeLine(
      io.stderr,
      `${prefix(cmd)}: internal error: ${oneLine(err instanceof Error ? err.message : String(err))}`,
    );
    return exitCodeFor(err);
  }
}
