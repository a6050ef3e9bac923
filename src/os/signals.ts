// Signal names ↔ Linux signal numbers, as Circus accepts them in configs and commands
// (`15`, `TERM`, `sigterm`, `SIGTERM`, `RTMIN+2`).

/** The signals the daemon sends by number (SIGKILL ends a stop; SIGHUP is send_hup's reload). */
export const SIGHUP = 1;
export const SIGKILL = 9;
export const SIGTERM = 15;

// glibc reserves 32 and 33 for its threads, so user-visible real-time signals start at 34 (as in Python).
const SIGRTMIN = 34;
const SIGRTMAX = 64;

// A Map, so that names like "constructor" are not found on a prototype.
const LINUX_SIGNALS: ReadonlyMap<string, number> = new Map([
  ["HUP", SIGHUP],
  ["INT", 2],
  ["QUIT", 3],
  ["ILL", 4],
  ["TRAP", 5],
  ["ABRT", 6],
  ["IOT", 6],
  ["BUS", 7],
  ["FPE", 8],
  ["KILL", SIGKILL],
  ["USR1", 10],
  ["SEGV", 11],
  ["USR2", 12],
  ["PIPE", 13],
  ["ALRM", 14],
  ["TERM", SIGTERM],
  ["STKFLT", 16],
  ["CHLD", 17],
  ["CLD", 17],
  ["CONT", 18],
  ["STOP", 19],
  ["TSTP", 20],
  ["TTIN", 21],
  ["TTOU", 22],
  ["URG", 23],
  ["XCPU", 24],
  ["XFSZ", 25],
  ["VTALRM", 26],
  ["PROF", 27],
  ["WINCH", 28],
  ["IO", 29],
  ["POLL", 29],
  ["PWR", 30],
  ["SYS", 31],
  ["RTMIN", SIGRTMIN],
  ["RTMAX", SIGRTMAX],
]);

/** Highest signal number on Linux. */
export const MAX_SIGNAL = SIGRTMAX;

/** A signal name or number that Linux does not know. */
export class UnknownSignalError extends Error {
  override readonly name = "UnknownSignalError";
  constructor(readonly value: string | number) {
    super(
      `${JSON.stringify(String(value))} is not a signal, expected a name like TERM or SIGTERM, or a number like 15`,
    );
  }
}

/** Resolve a signal given as a number, a digit string or a name (any case, `SIG` optional, `+N` offset). */
export function signalNumber(v: string | number): number {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 0 && v <= MAX_SIGNAL) return v;
    throw new UnknownSignalError(v);
  }
  const text = v.trim();
  if (/^[+-]?\d+$/.test(text)) return signalNumber(Number(text));
  const m = /^(\w+?)(?:\+(\d+))?$/.exec(text);
  if (!m) throw new UnknownSignalError(v);
  let name = m[1]!.toUpperCase();
  if (name.startsWith("SIG")) name = name.slice(3);
  const base = LINUX_SIGNALS.get(name);
  if (base === undefined) throw new UnknownSignalError(v);
  const n = base + (m[2] ? Number(m[2]) : 0);
  if (n > MAX_SIGNAL) throw new UnknownSignalError(v);
  return n;
}

const NAMES: Map<number, string> = new Map();
for (const [name, n] of LINUX_SIGNALS) {
  // The first spelling listed wins (ABRT over IOT, CHLD over CLD, IO over POLL).
  if (!NAMES.has(n)) NAMES.set(n, `SIG${name}`);
}

/** Canonical name of a signal number (`SIGTERM`, `SIGRTMIN+2`); the number as text when it has none. */
export function signalName(n: number): string {
  const known = NAMES.get(n);
  if (known) return known;
  if (n > SIGRTMIN && n < SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return String(n);
}
