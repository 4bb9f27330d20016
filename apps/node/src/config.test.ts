import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts } from "../test/certs.js";
import { ConfigError, parseConfig } from "./config.js";
import { checkConfigFiles } from "./config-files.js";

/** The ConfigError `fn` throws (failing the test when it throws nothing, or something else). */
function configError(fn: () => unknown): ConfigError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

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

  it("does not fsync artifact files unless --fsync is given (--no-fsync is the default, also accepted)", () => {
    expect(parseConfig([]).fsync).toBe(false);
    expect(parseConfig(["--fsync"]).fsync).toBe(true);
    expect(parseConfig(["--no-fsync"]).fsync).toBe(false);
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
    [["--node_name", "a", "--seed_if", "a", "-c", "b:7946"], /^--seed_if a needs --cluster_size/],
    [["-l", "3G", "-i", "2G"], /low_water_mark/],
    [["--writable_certs", "w.pem"], /need TLS/],
    [["-v", "loud"], /must be one of/],
    [["--http-port", "8080"], /^unknown option '--http-port' \(did you mean --http_port\?\)$/],
    [["--clustr_secret", "s"], /^unknown option '--clustr_secret' \(did you mean --cluster_secret\?\)$/],
    [
      ["--key_file", "k", "--cert_file", "c", "--ca_cert_file", "ca", "--cluster_certs", "cc"],
      /^--cluster_certs needs --cluster_secret .*gossip is not TLS/,
    ],
  ])("rejects %j with a one-line message and exit code 2", (argv, message) => {
    const error = configError(() => parseConfig(argv as string[]));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("\n");
  });

  it("takes --cluster_certs with a cluster secret from the flag or from PLZ_CACHE_CLUSTER_SECRET", () => {
    const tls = ["--key_file", "k", "--cert_file", "c", "--ca_cert_file", "ca", "--cluster_certs", "cc"];
    expect(parseConfig([...tls, "--cluster_secret", "s"]).clusterSecret).toBe("s");
    process.env.PLZ_CACHE_CLUSTER_SECRET = "from-env";
    try {
      expect(parseConfig(tls)).toMatchObject({ clusterCerts: "cc", clusterSecret: "from-env" });
    } finally {
      delete process.env.PLZ_CACHE_CLUSTER_SECRET;
    }
  });

  it("takes the node name from NODE_NAME when --node_name is absent", () => {
    process.env.NODE_NAME = "from-env";
    try {
      expect(parseConfig([]).nodeName).toBe("from-env");
      expect(parseConfig(["--node_name", "from-flag"]).nodeName).toBe("from-flag");
    } finally {
      delete process.env.NODE_NAME;
    }
  });
});

describe("checkConfigFiles", () => {
  let tmp: string;
  let certs: ReturnType<typeof makeCerts>;
  /** Paths of files in `tmp`, made in beforeAll. */
  const f = {} as Record<
    "text" | "badPem" | "encryptedKey" | "emptyDir" | "textDir" | "certDir" | "notADir",
    string
  >;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "plz-cache-config-files-"));
    certs = makeCerts(tmp, ["client"]);
    f.text = join(tmp, "notes.txt");
    writeFileSync(f.text, "just some text\n");
    f.badPem = join(tmp, "bad.pem");
    writeFileSync(f.badPem, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    f.encryptedKey = join(tmp, "encrypted.key");
    const { privateKey } = generateKeyPairSync("ec", {
      namedCurve: "prime256v1",
      privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    writeFileSync(f.encryptedKey, privateKey);
    f.emptyDir = join(tmp, "empty");
    mkdirSync(f.emptyDir);
    f.textDir = join(tmp, "texts");
    mkdirSync(f.textDir);
    writeFileSync(join(f.textDir, "a.txt"), "no certificate here");
    f.certDir = join(tmp, "allowed");
    mkdirSync(f.certDir);
    writeFileSync(join(f.certDir, "README"), "not a certificate");
    writeFileSync(join(f.certDir, "client.pem"), readFileSync(certs.client!.cert));
    f.notADir = f.text;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A TLS configuration with every file good, then `args` (a repeated flag overrides). */
  function config(...args: string[]) {
    return parseConfig([
      "-d",
      join(tmp, "store", "sub"),
      "--key_file",
      certs.server!.key,
      "--cert_file",
      certs.server!.cert,
      "--ca_cert_file",
      certs.ca!.cert,
      ...args,
    ]);
  }

  it("accepts readable PEM files, certificate directories, a new --dir and a new --log_file", () => {
    expect(() =>
      checkConfigFiles(
        config(
          "--writable_certs",
          f.certDir,
          "--readonly_certs",
          certs.client!.cert,
          "--cluster_certs",
          certs.server!.cert,
          "--cluster_secret",
          "s",
          "--log_file",
          join(tmp, "node.log"),
        ),
      ),
    ).not.toThrow();
    expect(() => checkConfigFiles(parseConfig(["-d", tmp]))).not.toThrow();
  });

  it.each<[string, () => string[], (p: string) => RegExp]>([
    [
      "a missing --key_file",
      () => ["--key_file", join(tmp, "nope.key")],
      (p) => re`^--key_file ${p} does not exist$`,
    ],
    [
      "a text --key_file",
      () => ["--key_file", f.text],
      (p) => re`^--key_file ${p} is not a PEM private key$`,
    ],
    [
      "an encrypted --key_file",
      () => ["--key_file", f.encryptedKey],
      (p) => re`^--key_file ${p} is encrypted`,
    ],
    [
      "a directory as --key_file",
      () => ["--key_file", tmp],
      (p) => re`^--key_file ${p} is a directory, not a file$`,
    ],
    [
      "a missing --cert_file",
      () => ["--cert_file", join(tmp, "nope.pem")],
      (p) => re`^--cert_file ${p} does not exist$`,
    ],
    [
      "a text --cert_file",
      () => ["--cert_file", f.text],
      (p) => re`^--cert_file ${p} holds no PEM certificate$`,
    ],
    [
      "a corrupt --cert_file",
      () => ["--cert_file", f.badPem],
      (p) => re`^--cert_file ${p}: certificate 1 is not a valid X.509 certificate$`,
    ],
    [
      "a key that is not the certificate's",
      () => ["--key_file", certs.client!.key],
      (p) => re`^--key_file ${p} is not the private key of --cert_file `,
    ],
    [
      "a missing --ca_cert_file",
      () => ["--ca_cert_file", join(tmp, "nope.pem")],
      (p) => re`^--ca_cert_file ${p} does not exist$`,
    ],
    [
      "a text --ca_cert_file",
      () => ["--ca_cert_file", f.text],
      (p) => re`^--ca_cert_file ${p} holds no PEM certificate$`,
    ],
    [
      "a missing --writable_certs",
      () => ["--writable_certs", join(tmp, "nope")],
      (p) => re`^--writable_certs ${p} does not exist$`,
    ],
    [
      "an empty --writable_certs directory",
      () => ["--writable_certs", f.emptyDir],
      (p) => re`^--writable_certs ${p} is a directory with no PEM certificate in it$`,
    ],
    [
      "a text --readonly_certs",
      () => ["--readonly_certs", f.text],
      (p) => re`^--readonly_certs ${p} holds no PEM certificate$`,
    ],
    [
      "a --readonly_certs directory without certificates",
      () => ["--readonly_certs", f.textDir],
      (p) => re`^--readonly_certs ${p} is a directory with no PEM certificate in it$`,
    ],
    [
      "a --cluster_certs directory without certificates",
      () => ["--cluster_secret", "s", "--cluster_certs", f.textDir],
      (p) => re`^--cluster_certs ${p} is a directory with no PEM certificate in it$`,
    ],
    [
      "a --log_file in a missing directory",
      () => ["--log_file", join(tmp, "no-dir", "node.log")],
      (p) => re`^--log_file ${p}: its directory ${join(tmp, "no-dir")} does not exist$`,
    ],
    [
      "a --log_file under a file",
      () => ["--log_file", join(f.notADir, "node.log")],
      (p) => re`^--log_file ${p}: ${f.notADir} is not a directory$`,
    ],
    ["a directory as --log_file", () => ["--log_file", tmp], (p) => re`^--log_file ${p} is a directory$`],
    ["a file as --dir", () => ["--dir", f.notADir], (p) => re`^--dir ${p} is not a directory$`],
    [
      "a --dir under a file",
      () => ["--dir", join(f.notADir, "store")],
      (p) => re`^--dir ${p} cannot be created: ${f.notADir} is not a directory$`,
    ],
  ])("rejects %s with a one-line message naming the flag and the path", (_, args, message) => {
    const argv = args();
    const error = configError(() => checkConfigFiles(config(...argv)));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message(argv.at(-1)!));
    expect(error.message).not.toContain("\n");
  });
});

/** A RegExp from a template whose interpolated values match literally. */
function re(strings: TemplateStringsArray, ...values: string[]): RegExp {
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(strings.raw.map((s, i) => s + (i < values.length ? literal(values[i]!) : "")).join(""));
}
