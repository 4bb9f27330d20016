import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { accessSync, constants, readFileSync, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { certificateFiles, pemCertificates } from "./auth.js";
import { ConfigError, type NodeConfig, oneLine } from "./config.js";

/**
 * Checks the files the configuration names, before anything starts (parseConfig does not touch
 * the disk): the TLS key and certificates are readable and valid PEM, and the key is the
 * certificate's; each certificate list (a PEM file or a directory of them) holds at least one
 * certificate; `--log_file` and `--dir` can be written. Throws ConfigError (exit 2) naming the
 * flag and the path.
 */
export function checkConfigFiles(c: NodeConfig): void {
  checkDir(c.dir);
  if (c.logFile) checkLogFile(c.logFile);
  if (c.keyFile && c.certFile) {
    const key = checkPrivateKey("--key_file", c.keyFile);
    const cert = checkCertificates("--cert_file", c.certFile)[0]!;
    if (!cert.checkPrivateKey(key)) {
      throw new ConfigError(`--key_file ${c.keyFile} is not the private key of --cert_file ${c.certFile}`);
    }
  }
  if (c.caCertFile) checkCertificates("--ca_cert_file", c.caCertFile);
  if (c.writableCerts) checkCertificateList("--writable_certs", c.writableCerts);
  if (c.readonlyCerts) checkCertificateList("--readonly_certs", c.readonlyCerts);
  if (c.clusterCerts) checkCertificateList("--cluster_certs", c.clusterCerts);
}

/** "does not exist", "is not readable (permission denied)", ... for a failed fs call. */
function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "ENOTDIR":
      return "does not exist (a part of its path is not a directory)";
    case "EACCES":
    case "EPERM":
      return "is not readable (permission denied)";
    default:
      return `cannot be read (${code ?? oneLine(String((err as Error).message ?? err))})`;
  }
}

function fsError(flag: string, path: string, err: unknown): ConfigError {
  if (err instanceof ConfigError) return err;
  return new ConfigError(`${flag} ${(err as NodeJS.ErrnoException).path ?? path} ${fsProblem(err)}`);
}

/** stat, or undefined when nothing is there. */
function statIfAny(flag: string, path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw fsError(flag, path, err);
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new ConfigError(`${flag} ${path} is a directory, not a file`);
    return readFileSync(path);
  } catch (err) {
    throw fsError(flag, path, err);
  }
}

function checkPrivateKey(flag: string, path: string): KeyObject {
  const pem = readFlagFile(flag, path);
  try {
    return createPrivateKey(pem);
  } catch {
    // Node reports a missing passphrase with various OpenSSL errors: look at the PEM itself.
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString("latin1"))) {
      throw new ConfigError(`${flag} ${path} is encrypted: give the private key unencrypted`);
    }
    throw new ConfigError(`${flag} ${path} is not a PEM private key`);
  }
}

/** The certificates of one PEM file, at least one, each one parsed. */
function checkCertificates(flag: string, path: string): X509Certificate[] {
  const certs = parseCertificates(flag, path);
  if (certs.length === 0) throw new ConfigError(`${flag} ${path} holds no PEM certificate`);
  return certs;
}

function parseCertificates(flag: string, path: string): X509Certificate[] {
  return pemCertificates(readFlagFile(flag, path).toString("utf8")).map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw new ConfigError(`${flag} ${path}: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

/** A PEM file or a directory of them, holding at least one certificate in all. */
function checkCertificateList(flag: string, path: string): void {
  let files: string[];
  try {
    files = certificateFiles(path);
  } catch (err) {
    throw fsError(flag, path, err);
  }
  let count = 0;
  for (const file of files) count += parseCertificates(flag, file).length;
  if (count > 0) return;
  throw new ConfigError(
    files.length === 1 && files[0] === path
      ? `${flag} ${path} holds no PEM certificate`
      : `${flag} ${path} is a directory with no PEM certificate in it`,
  );
}

/** The log file is appended to: it, or else its directory, must be writable. */
function checkLogFile(file: string): void {
  const st = statIfAny("--log_file", file);
  if (st) {
    if (st.isDirectory()) throw new ConfigError(`--log_file ${file} is a directory`);
    if (!writable(file)) throw new ConfigError(`--log_file ${file} is not writable`);
    return;
  }
  const dir = dirname(resolve(file));
  const d = statIfAny("--log_file", dir);
  if (!d) throw new ConfigError(`--log_file ${file}: its directory ${dir} does not exist`);
  if (!d.isDirectory()) throw new ConfigError(`--log_file ${file}: ${dir} is not a directory`);
  if (!writable(dir)) throw new ConfigError(`--log_file ${file}: its directory ${dir} is not writable`);
}

/** The store directory exists and is writable, or its nearest existing ancestor is (start creates the rest). */
function checkDir(dir: string): void {
  const full = resolve(dir);
  for (let p = full; ; p = dirname(p)) {
    const st = statIfAny("--dir", p);
    if (!st) {
      if (dirname(p) === p) return;
      continue;
    }
    const what = p === full ? `--dir ${dir}` : `--dir ${dir} cannot be created: ${p}`;
    if (!st.isDirectory()) throw new ConfigError(`${what} is not a directory`);
    if (!writable(p)) throw new ConfigError(`${what} is not writable`);
    return;
  }
}
