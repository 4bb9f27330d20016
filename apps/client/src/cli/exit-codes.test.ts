import { describe, expect, it } from "vitest";
import { ClientError, type ClientErrorCode } from "../errors.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

describe("exit codes", () => {
  it("maps every client error code to the documented exit code", () => {
    const expected: Record<ClientErrorCode, number> = {
      UNREACHABLE: 3,
      TIMEOUT: 3,
      UNAUTHENTICATED: 3,
      REFUSED: 3,
      TOO_LARGE: 3,
      UNSAFE_PATH: 3,
      CLOSED: 3,
      INVALID: 2,
      IO: 4,
    };
    for (const [code, exit] of Object.entries(expected)) {
      expect(exitCodeFor(new ClientError(code as ClientErrorCode, "x")), code).toBe(exit);
    }
  });

  it("treats anything else as a local failure", () => {
    expect(exitCodeFor(new Error("boom"))).toBe(EXIT.LOCAL);
  });
});
