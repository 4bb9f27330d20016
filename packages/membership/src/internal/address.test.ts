import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "./address.js";

describe("parseHostPort", () => {
  it("parses host:port, [v6]:port and bare hosts with a default port", () => {
    expect(parseHostPort("10.0.0.1:7946")).toEqual({ host: "10.0.0.1", port: 7946 });
    expect(parseHostPort("cache-1.example.com:1")).toEqual({ host: "cache-1.example.com", port: 1 });
    expect(parseHostPort("[::1]:7946")).toEqual({ host: "::1", port: 7946 });
    expect(parseHostPort("node-a", 7946)).toEqual({ host: "node-a", port: 7946 });
    expect(parseHostPort("fe80::1", 7946)).toEqual({ host: "fe80::1", port: 7946 });
    expect(parseHostPort("[fe80::1]", 7946)).toEqual({ host: "fe80::1", port: 7946 });
  });

  it("rejects what does not parse", () => {
    for (const bad of [
      "",
      ":",
      "host:",
      ":80",
      "host:0",
      "host:65536",
      "host:12a",
      "a b:1",
      "[::1",
      "[::1]x",
      "h:1:2",
    ]) {
      expect(parseHostPort(bad), bad).toBeUndefined();
    }
    expect(parseHostPort("node-a")).toBeUndefined();
  });

  it("round-trips through formatHostPort", () => {
    expect(formatHostPort("::1", 80)).toBe("[::1]:80");
    expect(formatHostPort("10.0.0.1", 80)).toBe("10.0.0.1:80");
    expect(parseHostPort(formatHostPort("::1", 80))).toEqual({ host: "::1", port: 80 });
  });
});
