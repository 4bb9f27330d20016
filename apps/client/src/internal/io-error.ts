/** Local file failures as one readable line: `cannot read /x/y: permission denied (EACCES)`. */
import { ClientError } from "../errors.js";

/**
 * What went wrong, without Node's repetition of the code, syscall and path
 * (`EACCES: permission denied, open '/x/y'` becomes `permission denied (EACCES)`).
 */
export function describeIoFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  let text = err.message;
  if (code !== undefined && text.startsWith(`${code}: `)) text = text.slice(code.length + 2);
  text = text.replace(/, \w+ '.*'$/, "").trim();
  return code === undefined || text === "" ? text || String(code) : `${text} (${code})`;
}

/** A `ClientError` with code `IO` for a failed local file operation: `cannot ${what}: ...`. */
export function ioError(err: unknown, what: string): ClientError {
  return new ClientError("IO", `cannot ${what}: ${describeIoFailure(err)}`, { cause: err });
}
