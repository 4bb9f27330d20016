/** Runs the built `plz-cache` CLI as a child process. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLIENT_CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `plz-cache ...args` to completion. */
export function plzCache(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  if (!existsSync(CLIENT_CLI)) {
    throw new Error(
      `${CLIENT_CLI} is missing: build the client first (pnpm --filter @plz-cache/client build)`,
    );
  }
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLIENT_CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the one JSON document a `--json` command printed. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  return JSON.parse(r.stdout) as T;
}

/** No stack trace anywhere in what the CLI printed. */
export function hasStackTrace(r: CliResult): boolean {
  return /\n\s+at /.test(r.stdout + r.stderr);
}
