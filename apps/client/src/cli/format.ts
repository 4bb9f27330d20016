/** Human-readable numbers for the CLI's text output. */

/** `1536` -> `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** `plural(1, "file")` -> `1 file`, `plural(3, "file")` -> `3 files`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A target's label, as plz writes it: `//pkg:target`. */
export function targetLabel(pkg: string, target: string): string {
  return `//${pkg}:${target}`;
}
