import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ServerUnaryCall } from "@grpc/grpc-js";
import { PEER_AUTH_HEADER, type PeerAuth } from "./cluster/peer-auth.js";

type ServerSurfaceCall = Pick<ServerUnaryCall<unknown, unknown>, "getAuthContext" | "getPath" | "metadata">;

/** What a caller may do. */
export type Access = "read" | "write" | "peer";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The files a certificate list names: the file itself, or every regular file of a directory. */
export function certificateFiles(path: string): string[] {
  return statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .map((f) => join(path, f))
        .filter((f) => statSync(f).isFile())
    : [path];
}

/** The PEM `CERTIFICATE` blocks of a text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

/** Every certificate in a PEM file, or in every regular file of a directory, by SHA-256 fingerprint. */
export function loadCertificateList(path: string): Set<string> {
  const fingerprints = new Set<string>();
  for (const file of certificateFiles(path)) {
    for (const pem of pemCertificates(readFileSync(file, "utf8"))) {
      fingerprints.add(new X509Certificate(pem).fingerprint256);
    }
  }
  if (fingerprints.size === 0) throw new Error(`no PEM certificates found in ${path}`);
  return fingerprints;
}

/** The lists a node checks callers against. Absent lists mean the corresponding access is open. */
export interface AccessLists {
  writable?: Set<string> | undefined;
  readonly?: Set<string> | undefined;
  peers?: Set<string> | undefined;
  /** Without peer certificates: peers prove they know the cluster secret. */
  peerAuth?: PeerAuth | undefined;
}

/**
 * Decides access by the caller's TLS client certificate, as the original did: with no
 * writable/readonly lists the cache is open to anyone; with lists, writing needs a writable
 * certificate and reading a readable one (writable implies readable).
 */
export class AccessPolicy {
  readonly #lists: AccessLists;
  constructor(lists: AccessLists) {
    this.#lists = lists;
  }

  /** Whether client access (read/write) is restricted by certificate lists. */
  get restricted(): boolean {
    return Boolean(this.#lists.writable || this.#lists.readonly);
  }

  /** Whether peers are authenticated at all (by certificate or by the cluster secret). */
  get peersAuthenticated(): boolean {
    return Boolean(this.#lists.peers || this.#lists.peerAuth);
  }

  /** Whether this caller may do `access`. */
  allows(call: ServerSurfaceCall, access: Access): boolean {
    if (access === "peer") {
      if (this.#lists.peers) {
        const fp = fingerprint(call);
        return fp !== undefined && this.#lists.peers.has(fp);
      }
      if (this.#lists.peerAuth) {
        const token = call.metadata.get(PEER_AUTH_HEADER)[0];
        return this.#lists.peerAuth.verify(call.getPath(), typeof token === "string" ? token : undefined);
      }
      return true;
    }
    if (!this.restricted) return true;
    const fp = fingerprint(call);
    if (fp === undefined) return false;
    if (this.#lists.writable?.has(fp)) return true;
    return access === "read" && Boolean(this.#lists.readonly?.has(fp));
  }
}

function fingerprint(call: Pick<ServerSurfaceCall, "getAuthContext">): string | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert && "fingerprint256" in cert && cert.fingerprint256 ? cert.fingerprint256 : undefined;
}
