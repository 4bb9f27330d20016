import { describe, expect, it } from "vitest";
import { hashOf, ref } from "../test/helpers.js";
import { INVALID_REFS } from "../test/invalid-refs.js";
import type { ArtifactRef } from "./index.js";
import { artifactKey, encodeHash, keyPoint, StoreError, targetKey, validateRef } from "./index.js";

describe("validateRef", () => {
  it.each(INVALID_REFS)("rejects %s with INVALID_KEY", (_name, overrides) => {
    const bad = { ...ref(), ...overrides } as ArtifactRef;
    let caught: unknown;
    try {
      validateRef(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).code).toBe("INVALID_KEY");
    expect((caught as StoreError).name).toBe("StoreError");
    expect((caught as StoreError).message).toMatch(
      /^invalid artifact key: (os|arch|package|target|file|hash) /,
    );
  });

  it.each([
    ["the root package", { package: "" }],
    ["a deep package", { package: "third_party/go/x" }],
    ["a nested file", { file: "bin/linux/tool" }],
    ["a target with plz punctuation", { target: "_core#srcs" }],
    ["an arch with an underscore", { arch: "x86_64" }],
    ["dots inside names", { file: "..hidden/.x/a..b" }],
    ["non-ASCII names", { file: "résumé/日本.txt", package: "ünï" }],
    ["a paired surrogate (emoji)", { file: "icon-😀.png" }],
    ["a 4-byte hash", { hash: new Uint8Array(4) }],
    ["a 64-byte hash", { hash: new Uint8Array(64) }],
  ])("accepts %s", (_name, overrides) => {
    expect(() => validateRef({ ...ref(), ...overrides })).not.toThrow();
  });

  it("validates a TargetRef without hash or file", () => {
    expect(() => validateRef({ os: "linux", arch: "amd64", package: "", target: "t" })).not.toThrow();
    expect(() => validateRef({ os: "linux", arch: "amd64", package: "../x", target: "t" })).toThrow(
      StoreError,
    );
  });

  it("names the field and the rule in the message", () => {
    expect(() => validateRef(ref({ file: "a/../../b" }))).toThrow(
      'invalid artifact key: file "a/../../b" has a ".." segment',
    );
    expect(() => validateRef(ref({ package: "/abs" }))).toThrow("is an absolute path");
  });
});

describe("artifactKey", () => {
  it("formats {os}_{arch}/{package}/{target}/{H}/{file} with H in unpadded base64url", () => {
    const hash = new Uint8Array([0xfb, 0xff, 0xfe, 0x01, 0x02]);
    expect(encodeHash(hash)).toBe("-__-AQI");
    expect(artifactKey(ref({ hash }))).toBe("linux_amd64/src/core/core/-__-AQI/out/lib.a");
  });

  it("gives the root package no segment", () => {
    expect(
      artifactKey(ref({ package: "", target: "t", hash: new Uint8Array([0, 0, 0, 0]), file: "f" })),
    ).toBe("linux_amd64/t/AAAAAA/f");
    expect(targetKey({ os: "linux", arch: "arm64", package: "", target: "t" })).toBe("linux_arm64/t");
  });

  it("validates", () => {
    expect(() => artifactKey(ref({ file: "../x" }))).toThrow(StoreError);
  });
});

describe("keyPoint", () => {
  it("reads the first 4 bytes as a little-endian uint32", () => {
    expect(keyPoint(new Uint8Array([1, 0, 0, 0, 9]))).toBe(1);
    expect(keyPoint(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff);
    expect(keyPoint(new Uint8Array([0x78, 0x56, 0x34, 0x12]))).toBe(0x12345678);
    expect(keyPoint(hashOf(0xdeadbeef))).toBe(0xdeadbeef);
  });
});
