import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config.js";

describe("parseConfig", () => {
  it("has the original's defaults", () => {
    const c = parseConfig([]);
    expect(c).toMatchObject({
      port: 7677,
      httpPort: undefined,
      dir: "plz-rpc-cache",
      verbosity: "notice",
      lowWaterMark: 18e9,
      highWaterMark: 20e9,
      cleanFrequencyMs: 600_000,
      maxArtifactAgeMs: 720 * 3_600_000,
      clusterPort: 7946,
      seedCluster: false,
      clusterAddresses: [],
    });
  });

  it("takes the short forms of the original's flags", () => {
    const c = parseConfig([
      "-p",
      "9000",
      "-h",
      "9001",
      "-d",
      "/tmp/x",
      "-v",
      "debug",
      "-l",
      "1G",
      "-i",
      "2G",
    ]);
    expect(c).toMatchObject({ port: 9000, httpPort: 9001, dir: "/tmp/x", verbosity: "debug" });
    expect(c.lowWaterMark).toBe(1e9);
    expect(c.highWaterMark).toBe(2e9);
    const d = parseConfig(["-f", "1s", "-m", "2h", "-c", "a:1, b:2"]);
    expect(d).toMatchObject({
      cleanFrequencyMs: 1000,
      maxArtifactAgeMs: 7_200_000,
      clusterAddresses: ["a:1", "b:2"],
    });
  });

  it("accepts numeric verbosity levels", () => {
    expect(parseConfig(["--verbosity=4"]).verbosity).toBe("info");
    expect(parseConfig(["--verbosity", "warning"]).verbosity).toBe("warning");
  });

  it.each([
    [["--port", "70000"], /port/],
    [["--low_water_mark", "big"], /invalid size/],
    [["--clean_frequency", "often"], /invalid duration/],
    [["--bogus"], /unknown option/],
    [["--key_file", "k.pem"], /both or neither/],
    [["--seed_cluster"], /cluster_size/],
    [["--seed_cluster", "--cluster_size", "1"], /greater than 1/],
    [["-l", "3G", "-i", "2G"], /low_water_mark/],
    [["--writable_certs", "w.pem"], /need TLS/],
    [["-v", "loud"], /must be one of/],
  ])("rejects %j with a one-line message and exit code 2", (argv, message) => {
    let error: unknown;
    try {
      parseConfig(argv as string[]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain("\n");
  });
});
