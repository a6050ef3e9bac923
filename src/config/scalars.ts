// Scalar parsers with Circus's (Python's) acceptance rules, shared by the config loader and the
// control channel (`set`/`add` string conversion). Each throws ScalarError with a message a user can act on.

import { signalNumber, UnknownSignalError } from "../os/signals.ts";

/** A value that does not parse as the expected scalar type; `message` says what was expected. */
export class ScalarError extends Error {
  override readonly name = "ScalarError";
}

const quote = (text: string) => JSON.stringify(text);

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/** `true yes on 1` / `false no off 0`, any case, surrounding blanks ignored. */
export function parseBool(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ScalarError(`${quote(text)} is not a boolean, expected true/false, yes/no, on/off or 1/0`);
}

// Python int(): optional sign, blanks around, single `_` between digits.
const INT_RE = /^[+-]?\d+(?:_\d+)*$/;

/** A whole number as Python's int() reads it: `3`, ` -2 `, `1_000`; `1.5` is refused. */
export function parseIntOption(text: string): number {
  const t = text.trim();
  if (!INT_RE.test(t)) throw new ScalarError(`${quote(text)} is not an integer, expected a whole number like 3`);
  const n = Number(t.replace(/_/g, ""));
  if (!Number.isSafeInteger(n)) throw new ScalarError(`${quote(text)} is too large, expected a whole number like 3`);
  return n;
}

const DIGITS = String.raw`\d+(?:_\d+)*`;
const FLOAT_RE = new RegExp(String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
const INF_RE = /^[+-]?inf(?:inity)?$/i;

/** A number as Python's float() reads it: `2`, `2.5`, `.5`, `1e3`, `inf` (NaN is refused). */
export function parseFloatOption(text: string): number {
  const t = text.trim();
  if (INF_RE.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (!FLOAT_RE.test(t)) throw new ScalarError(`${quote(text)} is not a number, expected a number like 2.5`);
  return Number(t.replace(/_/g, ""));
}

/** A signal number or name (`15`, `TERM`, `sigterm`, `RTMIN+2`), resolved to its Linux number. */
export function parseSignal(text: string | number): number {
  try {
    return signalNumber(text);
  } catch (err) {
    if (err instanceof UnknownSignalError) throw new ScalarError(err.message, { cause: err });
    throw err;
  }
}

const OCTAL_RE = /^[+-]?(?:0[oO])?[0-7]+(?:_[0-7]+)*$/;

/** Base-8 number as Python's int(text, 8) reads it (`022`, `0o022`, `22`); used for `[circus] umask`. */
export function parseOctal(text: string): number {
  const t = text.trim();
  if (!OCTAL_RE.test(t)) throw new ScalarError(`${quote(text)} is not an octal number, expected a umask like 022`);
  const negative = t.startsWith("-");
  const digits = t
    .replace(/^[+-]/, "")
    .replace(/^0[oO]/, "")
    .replace(/_/g, "");
  const n = Number.parseInt(digits, 8);
  return negative ? -n : n;
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
  if (!m) throw new ScalarError(`${JSON.stringify(text)} is not a size, expected a number with a unit like 200M`);
  const unit = m[2] === "k" ? "K" : m[2]!;
  for (const list of UNIT_LISTS) {
    const power = list.indexOf(unit);
    if (power >= 0) return Math.trunc(Number(m[1]) * 1024 ** power);
  }
  throw new ScalarError(
    `${JSON.stringify(text)} has an unknown unit ${JSON.stringify(unit)}, expected B, K, M, G, T, …`,
  );
}
