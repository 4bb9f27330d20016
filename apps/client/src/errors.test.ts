import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ClientError, codeForStatus, describeCallError, fromCallError } from "./errors.js";

function grpcError(code: status, details: string) {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe("client errors", () => {
  it("maps gRPC statuses to client error codes in one place", () => {
    expect(codeForStatus(status.UNAVAILABLE)).toBe("UNREACHABLE");
    expect(codeForStatus(status.DEADLINE_EXCEEDED)).toBe("TIMEOUT");
    expect(codeForStatus(status.UNAUTHENTICATED)).toBe("UNAUTHENTICATED");
    expect(codeForStatus(status.PERMISSION_DENIED)).toBe("UNAUTHENTICATED");
    expect(codeForStatus(status.RESOURCE_EXHAUSTED)).toBe("TOO_LARGE");
    expect(codeForStatus(status.INVALID_ARGUMENT)).toBe("INVALID");
    expect(codeForStatus(status.INTERNAL)).toBe("REFUSED");
  });

  it("describes a call error in one line, without grpc-js's empty resolution note", () => {
    const err = grpcError(
      status.UNAVAILABLE,
      "No connection established. Last error: boom\n (at 12:00). Resolution note: ",
    );
    expect(describeCallError(err)).toBe(
      "UNAVAILABLE: No connection established. Last error: boom (at 12:00)",
    );
  });

  it("keeps the status, the address and the cause", () => {
    const cause = grpcError(status.UNAUTHENTICATED, "no certificate");
    const e = fromCallError(cause, "store //p:t", "h:1");
    expect(e).toBeInstanceOf(ClientError);
    expect(e).toMatchObject({
      name: "ClientError",
      code: "UNAUTHENTICATED",
      status: status.UNAUTHENTICATED,
      address: "h:1",
      message: "store //p:t: h:1: UNAUTHENTICATED: no certificate",
    });
    expect(e.cause).toBe(cause);
  });
});
