import { StoreRequest } from "@plz-cache/protocol";
import { describe, expect, it } from "vitest";
import { storeRequestSize } from "./message-size.js";

describe("storeRequestSize", () => {
  it("is exactly the encoded size, for small, empty, unicode and large fields", () => {
    const cases: StoreRequest[] = [
      { os: "", arch: "", hash: Buffer.alloc(0), hostname: "", artifacts: [] },
      {
        os: "linux",
        arch: "amd64",
        hash: Buffer.alloc(20, 7),
        hostname: "höst",
        artifacts: [
          { package: "src/core", target: "core", file: "a.txt", body: Buffer.from("hello"), symlink: "" },
          { package: "", target: "t", file: "link", body: Buffer.alloc(0), symlink: "a.txt" },
          { package: "", target: "", file: "", body: Buffer.alloc(0), symlink: "" },
        ],
      },
      {
        os: "darwin",
        arch: "arm64",
        hash: Buffer.alloc(32, 1),
        hostname: "h",
        artifacts: [
          { package: "p", target: "t", file: "big", body: Buffer.alloc(300_000, 1), symlink: "" },
          { package: "p", target: "t", file: "mid", body: Buffer.alloc(200, 1), symlink: "" },
        ],
      },
    ];
    for (const req of cases) expect(storeRequestSize(req)).toBe(StoreRequest.encode(req).finish().length);
  });
});
