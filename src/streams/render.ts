// How a file or console stream turns an entry into bytes: raw, or each line prefixed `<time> [<pid>] | `.

import { strftime } from "./strftime.ts";
import { splitLines } from "./lines.ts";
import type { OutputEntry } from "./types.ts";

const NL = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Circus's default FancyStdoutStream time format. */
export const DEFAULT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S";

/** Entry time in epoch ms: the entry's own timestamp (seconds) or now. */
export function entryTimeMs(entry: OutputEntry, now: () => number): number {
  return entry.timestamp !== undefined ? entry.timestamp * 1000 : now();
}

/** The bytes a FileStream appends: the data as is, ending in a newline, or every line time-prefixed. */
export function renderEntry(entry: OutputEntry, timeFormat: string | null, now: () => number): Uint8Array {
  if (!timeFormat) {
    const data = entry.data;
    if (data.length === 0 || data[data.length - 1] === NL) return data;
    const out = new Uint8Array(data.length + 1);
    out.set(data, 0);
    out[data.length] = NL;
    return out;
  }
  const prefix = `${strftime(timeFormat, entryTimeMs(entry, now))} [${entry.pid}] | `;
  const lines = splitLines(decoder.decode(entry.data));
  return encoder.encode(prefix + lines.join("\n" + prefix) + "\n");
}

export function decodeText(data: Uint8Array): string {
  return decoder.decode(data);
}
