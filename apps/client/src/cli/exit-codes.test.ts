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
      IO: 2,
    };
    for (const [code, exit] of Object.entries(expected)) {
      expect(exitCodeFor(new ClientError(code as ClientErrorCode, "x")), code).toBe(exit);
    }
  });

  it("treats anything else as an internal failure, exit 3", () => {
    expect(exitCodeFor(new Error("boom"))).toBe(EXIT.CACHE);
    expect(exitCodeFor("boom")).toBe(3);
  });

  it("has exactly the codes 0 to 3", () => {
    expect(Object.values(EXIT).sort()).toEqual([0, 1, 2, 3]);
  });
});
