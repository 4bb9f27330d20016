/**
 * The running platform in plz's naming, which is Go's (`GOOS`, `GOARCH`): plz keys artifacts by
 * `{os}_{arch}`, so a client must name the platform exactly as plz does to share a cache with it.
 */
import { endianness, arch as nodeArch, platform as nodePlatform } from "node:os";

const OS_NAMES: Readonly<Record<string, string>> = {
  linux: "linux",
  darwin: "darwin",
  win32: "windows",
  freebsd: "freebsd",
  openbsd: "openbsd",
  netbsd: "netbsd",
  sunos: "solaris",
  aix: "aix",
  android: "android",
  cygwin: "windows",
};

const ARCH_NAMES: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  ia32: "386",
  x32: "386",
  arm: "arm",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips: "mips",
  mipsel: "mipsle",
  ppc: "ppc",
};

/** Go's `GOOS` for a Node `process.platform` value (`win32` -> `windows`); unknown names pass through. */
export function plzOs(platform: string = nodePlatform()): string {
  return OS_NAMES[platform] ?? platform;
}

/**
 * Go's `GOARCH` for a Node `process.arch` value (`x64` -> `amd64`, `ia32` -> `386`); Node's `ppc64`
 * is `ppc64le` or `ppc64` by byte order. Unknown names pass through.
 */
export function plzArch(arch: string = nodeArch(), byteOrder: "BE" | "LE" = endianness()): string {
  if (arch === "ppc64") return byteOrder === "LE" ? "ppc64le" : "ppc64";
  return ARCH_NAMES[arch] ?? arch;
}
