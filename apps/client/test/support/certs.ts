import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Throwaway certificates made with openssl: a CA, a server cert for 127.0.0.1, and client certs. */
export function makeCerts(dir: string, clients: string[]): Record<string, { key: string; cert: string }> {
  const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ossl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=plz-cache test CA",
  );
  const issue = (name: string, ext?: string) => {
    ossl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    const args = [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
    ];
    args.push("-out", `${name}.pem`, "-days", "2");
    if (ext) {
      writeFileSync(join(dir, `${name}.ext`), ext);
      args.push("-extfile", `${name}.ext`);
    }
    ossl(...args);
    return { key: join(dir, `${name}.key`), cert: join(dir, `${name}.pem`) };
  };
  const out: Record<string, { key: string; cert: string }> = {
    ca: { key: join(dir, "ca.key"), cert: join(dir, "ca.pem") },
    server: issue(
      "server",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
    ),
  };
  for (const c of clients) out[c] = issue(c, "extendedKeyUsage=clientAuth,serverAuth\n");
  return out;
}
