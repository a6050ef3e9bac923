// Circus's text formats for sizes and CPU time (circus.util.bytes2human and get_info's ctime).

import { human2bytes, ScalarError } from "../config/scalars.ts";

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
 * User+system CPU time exactly as Circus writes `ctime`: `M:SS.` (minutes modulo 60, as its timedelta
 * arithmetic does) followed by the first two digits of the microseconds, unpadded — so no CPU time is
 * `0:00.0` and 0.05 s is `0:00.50`. Scripts and circus-top read this text, so it is kept as it is.
 */
export function formatCpuTime(seconds: number): string {
  // timedelta rounds to the microsecond; integers avoid float drift (0.07 + 0.01 s).
  const micros = Math.round(seconds * 1_000_000);
  const whole = Math.floor(micros / 1_000_000);
  const fraction = micros % 1_000_000;
  return `${Math.floor(whole / 60) % 60}:${String(whole % 60).padStart(2, "0")}.${String(fraction).slice(0, 2)}`;
}

/**
 * A memory figure of a stats info object (`mem_info1`: `"3.45M"` as bytes2human prints it) in bytes;
 * null for "N/A" or anything that is not a size, so one odd process leaves a sum instead of failing it.
 */
export function infoBytes(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  try {
    return human2bytes(value);
  } catch (err) {
    if (err instanceof ScalarError) return null; // "N/A": a process that vanished while it was read
    throw err;
  }
}
