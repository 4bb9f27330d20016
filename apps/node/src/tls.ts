import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials, experimental, ServerCredentials } from "@grpc/grpc-js";

type Provider = experimental.CertificateProvider;

/**
 * A certificate provider that always hands out the same CA and identity (read once at
 * start-up). Listeners are called on the next tick: grpc-js registers its watcher only after
 * adding the listener, so a synchronous update would be lost.
 */
function staticProvider(update: { ca?: Buffer; certificate?: Buffer; privateKey?: Buffer }): Provider {
  return {
    addCaCertificateListener: (l) => setImmediate(() => l(update.ca ? { caCertificate: update.ca } : null)),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (l) =>
      setImmediate(() =>
        l(
          update.certificate && update.privateKey
            ? { certificate: update.certificate, privateKey: update.privateKey }
            : null,
        ),
      ),
    removeIdentityCertificateListener: () => {},
  };
}

export interface TlsFiles {
  keyFile: string;
  certFile: string;
  caCertFile?: string | undefined;
}

/**
 * Server credentials. With a CA, client certificates are requested but not required at the
 * TLS layer, so a caller without an acceptable one gets a clear UNAUTHENTICATED from the
 * access policy rather than a failed handshake.
 */
export function serverCredentials(files: TlsFiles | undefined): ServerCredentials {
  if (!files) return ServerCredentials.createInsecure();
  const certificate = readFileSync(files.certFile);
  const privateKey = readFileSync(files.keyFile);
  if (!files.caCertFile) {
    return ServerCredentials.createSsl(null, [{ private_key: privateKey, cert_chain: certificate }], false);
  }
  const ca = readFileSync(files.caCertFile);
  // grpc-js 1.14's factory hands its first argument to the constructor's identity parameter
  // (its declared names are swapped), so the identity provider goes first here.
  return experimental.createCertificateProviderServerCredentials(
    staticProvider({ certificate, privateKey }),
    staticProvider({ ca }),
    false,
  );
}

/** Channel credentials a node uses to dial its peers: its own key and certificate, the CA as root. */
export function peerChannelCredentials(files: TlsFiles | undefined): ChannelCredentials {
  if (!files) return credentials.createInsecure();
  return credentials.createSsl(
    files.caCertFile ? readFileSync(files.caCertFile) : null,
    readFileSync(files.keyFile),
    readFileSync(files.certFile),
  );
}
