/**
 * Artifact paths: `/`-separated, relative, with no `.`, `..` or empty segments. Paths given by a
 * caller are normalised first; paths received from a cache are taken as they come and refused
 * when they are not in this form, so no artifact can be written outside the output directory.
 */
import { posix, sep } from "node:path";
import { ClientError } from "./errors.js";

/** Why `p` is not a safe relative artifact path, or `undefined` when it is. */
export function unsafeReason(p: string): string | undefined {
  if (p === "") return "it is empty";
  if (p.includes("\0")) return "it contains a NUL byte";
  if (p.startsWith("/")) return "it is absolute";
  if (sep === "\\" && (/^[A-Za-z]:/.test(p) || p.includes("\\"))) return "it has a backslash or drive letter";
  for (const segment of p.split("/")) {
    if (segment === "") return "it has an empty segment";
    if (segment === "." || segment === "..") return `it has a '${segment}' segment`;
  }
  return undefined;
}

/**
 * A caller-given path (relative to some root, native or `/` separators) in artifact form:
 * `./out//a/../b/` becomes `out/b`.
 *
 * @throws {ClientError} `INVALID` when it is absolute, names the root itself, or leaves it.
 */
export function normalizeArtifactPath(p: string): string {
  const slashed = sep === "\\" ? p.replaceAll("\\", "/") : p;
  if (slashed === "" || slashed.includes("\0"))
    throw new ClientError("INVALID", `invalid file name ${JSON.stringify(p)}`);
  if (posix.isAbsolute(slashed)) {
    throw new ClientError("INVALID", `file ${JSON.stringify(p)} must be relative to the root directory`);
  }
  const n = posix.normalize(slashed).replace(/\/+$/, "");
  if (n === "." || n === "")
    throw new ClientError("INVALID", `file ${JSON.stringify(p)} names the root directory itself`);
  if (n === ".." || n.startsWith("../")) {
    throw new ClientError("INVALID", `file ${JSON.stringify(p)} is outside the root directory`);
  }
  return n;
}

/**
 * Checks a path received from the cache.
 *
 * @throws {ClientError} `UNSAFE_PATH` when it is not a safe relative artifact path.
 */
export function assertSafeArtifactPath(p: string): void {
  const reason = unsafeReason(p);
  if (reason !== undefined) {
    throw new ClientError("UNSAFE_PATH", `refusing artifact path ${JSON.stringify(p)}: ${reason}`);
  }
}
