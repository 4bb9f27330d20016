import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeIoFailure, ioError } from "./io-error.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

describe("ioError", () => {
  it("says what failed once, with the errno code, without Node's syscall and path", () => {
    const err = thrown(() => readFileSync("/nonexistent/plz-cache"));
    expect(describeIoFailure(err)).toBe("no such file or directory (ENOENT)");
    expect(ioError(err, "read /nonexistent/plz-cache")).toMatchObject({
      code: "IO",
      message: "cannot read /nonexistent/plz-cache: no such file or directory (ENOENT)",
      cause: err,
    });
  });

  it("keeps messages that are not Node's errno form", () => {
    expect(describeIoFailure(new Error("disk on fire"))).toBe("disk on fire");
    expect(describeIoFailure(Object.assign(new Error(""), { code: "EIO" }))).toBe("EIO");
    expect(describeIoFailure("plain")).toBe("plain");
  });
});
