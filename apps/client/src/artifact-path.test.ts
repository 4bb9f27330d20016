import { describe, expect, it } from "vitest";
import { assertSafeArtifactPath, normalizeArtifactPath, unsafeReason } from "./artifact-path.js";

describe("artifact paths", () => {
  it("normalises caller-given paths relative to the root", () => {
    expect(normalizeArtifactPath("a")).toBe("a");
    expect(normalizeArtifactPath("./out//a/../b/")).toBe("out/b");
    expect(normalizeArtifactPath("dir/")).toBe("dir");
  });

  it("rejects caller-given paths that are absolute, the root itself, or outside it", () => {
    for (const p of ["/etc/passwd", ".", "./", "..", "../x", "a/../../x", ""]) {
      expect(() => normalizeArtifactPath(p), p).toThrow(expect.objectContaining({ code: "INVALID" }));
    }
  });

  it("accepts received paths only in clean relative form", () => {
    expect(unsafeReason("a/b/c.txt")).toBeUndefined();
    expect(unsafeReason("..hidden/x..y")).toBeUndefined();
    for (const p of ["", "/abs", "a//b", "a/./b", "../x", "a/..", "a/", "x\0y"]) {
      expect(() => assertSafeArtifactPath(p), JSON.stringify(p)).toThrow(
        expect.objectContaining({ code: "UNSAFE_PATH" }),
      );
    }
  });
});
