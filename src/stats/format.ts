// Circus's text formats for sizes and CPU time (circus.util.bytes2human and get_info's ctime).

const SYMBOLS = ["K", "M", "G", "T", "P", "E", "Z", "Y"];

/** Bytes as Circus prints them: `512B`, `3.45M` (base 1024, two decimals). */
export function bytes2human(n: number): string {
  for (let i = SYMBOLS.length - 1; i >= 0; i--) {
    const unit = 2 ** ((i + 1) * 10);
    if (n >= unit) return `${(n / unit).toFixed(2)}${SYMBOLS[i]}`;
  }
  return `${n}B`;
}

/**
 * User+system CPU time as `M:SS.cc` (minutes modulo 60, as Circus's timedelta arithmetic does).
 * Circus prints the first two digits of the microseconds unpadded (0.05 s → "50"); we print real
 * hundredths ("05"), which is what the format is meant to show.
 */
export function formatCpuTime(seconds: number): string {
  const hundredths = Math.round(seconds * 100);
  const whole = Math.floor(hundredths / 100);
  const cc = hundredths % 100;
  return `${Math.floor(whole / 60) % 60}:${String(whole % 60).padStart(2, "0")}.${String(cc).padStart(2, "0")}`;
}

/** A size text that human2bytes cannot read. */
export class SizeError extends Error {
  override readonly name = "SizeError";
}

// Circus's unit names (circus.util._HSYMBOLS), each list indexed by power of 1024; plus `k` and the
// `KB`/`KiB` spellings people write.
const UNIT_LISTS = [
  ["B", "K", "M", "G", "T", "P", "E", "Z", "Y"],
  ["byte", "kilo", "mega", "giga", "tera", "peta", "exa", "zetta", "iotta"],
  ["Bi", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"],
  ["byte", "kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"],
  ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
  ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
];

/** Circus's human2bytes: `512B`, `3.45M`, `1.5G`, `200Ki`, `10k` → bytes (powers of 1024). */
export function human2bytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) throw new SizeError(`${JSON.stringify(text)} is not a size, expected a number with a unit like 200M`);
  const unit = m[2] === "k" ? "K" : m[2]!;
  for (const list of UNIT_LISTS) {
    const power = list.indexOf(unit);
    if (power >= 0) return Math.trunc(Number(m[1]) * 1024 ** power);
  }
  throw new SizeError(`${JSON.stringify(text)} has an unknown unit ${JSON.stringify(unit)}, expected B, K, M, G, T, …`);
}
