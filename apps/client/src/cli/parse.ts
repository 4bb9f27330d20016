/**
 * Parsers for command-line values. Each throws commander's `InvalidArgumentError`, which
 * commander reports as a usage error (exit 2).
 */
import { InvalidArgumentError } from "commander";

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A duration in ms: a plain number is milliseconds (`2500`); otherwise Go-style units
 * (`500ms`, `30s`, `1.5m`, `1h30m`). Must be positive.
 */
export function parseDuration(value: string): number {
  const v = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v);
  else {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
    ms = 0;
    let end = 0;
    for (let m = re.exec(v); m !== null; m = re.exec(v)) {
      ms += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
      end = re.lastIndex;
    }
    if (end === 0 || end !== v.length) {
      throw new InvalidArgumentError(
        "Expected a duration such as 30s, 500ms, 1m30s, or a number of milliseconds.",
      );
    }
  }
  if (!(ms > 0) || !Number.isFinite(ms)) throw new InvalidArgumentError("The duration must be positive.");
  return Math.ceil(ms);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
};

/** A size in bytes with an optional binary suffix: `512`, `64K`, `1.5M`, `2GiB`. */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value.trim());
  if (m === null) throw new InvalidArgumentError("Expected a size such as 512, 64K, 1M or 1.5G.");
  const bytes = Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError("The size is too large.");
  return bytes;
}

/** A comma-separated list of sizes: `1K,64K,1M`. */
export function parseSizes(value: string): number[] {
  const sizes = value.split(",").map((s) => parseSize(s));
  if (sizes.length === 0) throw new InvalidArgumentError("Expected at least one size.");
  return sizes;
}

/** A request hash in hex: an even number of hex digits, at least 8 (4 bytes). */
export function parseHash(value: string): Buffer {
  const v = value.trim();
  if (!/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0) {
    throw new InvalidArgumentError("Expected an even number of hex digits.");
  }
  if (v.length < 8) throw new InvalidArgumentError("A hash needs at least 4 bytes (8 hex digits).");
  return Buffer.from(v, "hex");
}

/** A positive integer. */
export function parsePositiveInt(value: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("Expected a positive integer.");
  }
  return n;
}

/** A non-negative integer. */
export function parseNonNegativeInt(value: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("Expected a non-negative integer.");
  return n;
}

/** A fraction in [0, 1]. */
export function parseRatio(value: string): number {
  const v = value.trim();
  const n = Number(v);
  if (v === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError("Expected a number from 0 to 1.");
  return n;
}

/** A file mode in octal: `644`, `0755`. */
export function parseMode(value: string): number {
  const v = value.trim();
  if (!/^0?[0-7]{3,4}$/.test(v))
    throw new InvalidArgumentError("Expected an octal mode such as 644 or 0755.");
  return Number.parseInt(v, 8);
}
