import { describe, expect, it } from "vitest";
import { plzArch, plzOs } from "./platform.js";

describe("platform names", () => {
  it("maps Node's architecture names to Go's", () => {
    expect(plzArch("x64")).toBe("amd64");
    expect(plzArch("arm64")).toBe("arm64");
    expect(plzArch("ia32")).toBe("386");
    expect(plzArch("arm")).toBe("arm");
    expect(plzArch("mipsel")).toBe("mipsle");
    expect(plzArch("ppc64", "LE")).toBe("ppc64le");
    expect(plzArch("ppc64", "BE")).toBe("ppc64");
    expect(plzArch("s390x")).toBe("s390x");
  });

  it("maps Node's platform names to Go's", () => {
    expect(plzOs("linux")).toBe("linux");
    expect(plzOs("darwin")).toBe("darwin");
    expect(plzOs("win32")).toBe("windows");
    expect(plzOs("sunos")).toBe("solaris");
    expect(plzOs("freebsd")).toBe("freebsd");
  });

  it("passes unknown names through", () => {
    expect(plzOs("plan9")).toBe("plan9");
    expect(plzArch("wasm32")).toBe("wasm32");
  });
});
