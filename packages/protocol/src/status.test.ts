import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { isRetryableStatus, serviceError, statusFor } from "./status.js";

describe("status mapping", () => {
  it("maps project error codes to their gRPC statuses", () => {
    expect(statusFor("INVALID_ARGUMENT")).toBe(status.INVALID_ARGUMENT);
    expect(statusFor("UNAUTHENTICATED")).toBe(status.UNAUTHENTICATED);
    expect(statusFor("RESOURCE_EXHAUSTED")).toBe(status.RESOURCE_EXHAUSTED);
    expect(serviceError("NOT_FOUND", "gone")).toMatchObject({ code: status.NOT_FOUND, details: "gone" });
  });

  it("retries transport failures but not client mistakes", () => {
    expect(isRetryableStatus(status.UNAVAILABLE)).toBe(true);
    expect(isRetryableStatus(status.DEADLINE_EXCEEDED)).toBe(true);
    expect(isRetryableStatus(status.INVALID_ARGUMENT)).toBe(false);
    expect(isRetryableStatus(status.UNAUTHENTICATED)).toBe(false);
  });
});
