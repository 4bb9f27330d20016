/** A command line that is wrong in a way commander cannot see (exit 2, with the usage line). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
