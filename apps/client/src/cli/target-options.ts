/** The options that name a target on one platform, shared by `store`, `retrieve` and `delete`. */
import { type Command, Option } from "commander";
import { plzArch, plzOs } from "../platform.js";
import type { TargetRef } from "../types.js";
import { parseHash } from "./parse.js";

export interface TargetOptions {
  package?: string;
  target?: string;
  os: string;
  arch: string;
}

export interface HashedTargetOptions extends TargetOptions {
  hash: Buffer;
}

/** Adds `--package`, `--target`, `--os`, `--arch` (the first two required unless `optional`). */
export function addTargetOptions(cmd: Command, optional = false): Command {
  const pkg = new Option(
    "--package <package>",
    "the target's package, e.g. src/core ('' for the root package)",
  );
  const target = new Option("--target <target>", "the target's name, e.g. core");
  if (!optional) {
    pkg.makeOptionMandatory();
    target.makeOptionMandatory();
  }
  return cmd
    .addOption(pkg)
    .addOption(target)
    .addOption(new Option("--os <os>", "platform OS, in plz's naming").default(plzOs()))
    .addOption(
      new Option("--arch <arch>", "platform architecture, in plz's naming (amd64, arm64, 386, ...)").default(
        plzArch(),
      ),
    );
}

/** Adds `--hash`, required. */
export function addHashOption(cmd: Command): Command {
  return cmd.addOption(
    new Option("--hash <hex>", "the request hash, in hex (at least 8 digits)")
      .argParser(parseHash)
      .makeOptionMandatory(),
  );
}

/** The target the options name. */
export function targetOf(o: TargetOptions): TargetRef {
  return { package: o.package ?? "", target: o.target ?? "", os: o.os, arch: o.arch };
}
