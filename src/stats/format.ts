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

/** The inverse of bytes2human (`"3.45M"` → 3617587); null for "N/A" or anything else. */
export function human2bytes(text: unknown): number | null {
  if (typeof text === "number") return Number.isFinite(text) ? text : null;
  if (typeof text !== "string") return null;
  const m = /^(\d+(?:\.\d+)?)([BKMGTPEZY])$/.exec(text.trim());
  if (!m) return null;
  const power = m[2] === "B" ? 0 : SYMBOLS.indexOf(m[2]!) + 1;
  return Math.round(Number(m[1]) * 2 ** (power * 10));
}
