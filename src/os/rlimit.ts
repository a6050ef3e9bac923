// Resource limits (setrlimit) by Circus's `rlimit_<name>` names; null stands for RLIM_INFINITY.

import { libc, errno } from "./libc.ts";
import { OsError, Errno } from "./errors.ts";

/** Linux RLIMIT_* numbers (identical on x86-64 and aarch64), keyed by the lower-case config name. */
export const RLIMITS = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
} as const;

export type RlimitName = keyof typeof RLIMITS;

/** A soft/hard pair; null means unlimited. */
export interface Rlimit {
  soft: number | null;
  hard: number | null;
}

/** A limit name Circus would reject (`rlimit_foo`). */
export class UnknownRlimitError extends Error {
  override name = "UnknownRlimitError";
  constructor(readonly limit: string) {
    super(`unknown rlimit "${limit}"; known: ${Object.keys(RLIMITS).join(", ")}`);
  }
}

const RLIM_INFINITY = 0xffffffffffffffffn;

/** The RLIMIT_* number for a config name (case-insensitive), or throws UnknownRlimitError. */
export function rlimitNumber(name: string): number {
  const key = name.toLowerCase();
  if (!Object.hasOwn(RLIMITS, key)) throw new UnknownRlimitError(name);
  return RLIMITS[key as RlimitName];
}

/** Current soft and hard limit of this process. */
export function getRlimit(name: string): Rlimit {
  const pair = new BigUint64Array(2);
  if (libc().getrlimit(rlimitNumber(name), pair) !== 0) throw new OsError("getrlimit", errno(), name);
  return { soft: fromRlim(pair[0]!), hard: fromRlim(pair[1]!) };
}

/** Set both limits of this process (children inherit them across exec). */
export function setRlimit(name: string, soft: number | null, hard: number | null): void {
  const pair = new BigUint64Array([toRlim(soft), toRlim(hard)]);
  if (libc().setrlimit(rlimitNumber(name), pair) !== 0) {
    throw new OsError("setrlimit", errno(), `${name} ${show(soft)}/${show(hard)}`);
  }
}

/**
 * Apply a Circus `rlimit_<name>` value (soft = hard = value). An unlimited `nofile` is refused by
 * Linux (it is capped by fs.nr_open), so, like Circus, fall back to the current hard limit.
 */
export function applyRlimit(name: string, value: number | null): void {
  if (value === null && name.toLowerCase() === "nofile") {
    try {
      setRlimit(name, null, null);
      return;
    } catch (err) {
      if (!(err instanceof OsError) || (err.errno !== Errno.EPERM && err.errno !== Errno.EINVAL)) throw err;
      const { hard } = getRlimit(name);
      setRlimit(name, hard, hard);
      return;
    }
  }
  setRlimit(name, value, value);
}

/** Raise this process's open-file soft limit to its hard limit; returns the resulting soft limit. */
export function raiseNofileToHard(): number | null {
  const { soft, hard } = getRlimit("nofile");
  if (soft === hard) return soft;
  setRlimit("nofile", hard, hard);
  return hard;
}

function fromRlim(value: bigint): number | null {
  return value === RLIM_INFINITY ? null : Number(value);
}

function toRlim(value: number | null): bigint {
  if (value === null) return RLIM_INFINITY;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`rlimit value ${value} is not a non-negative integer`);
  return BigInt(value);
}

function show(value: number | null): string {
  return value === null ? "unlimited" : String(value);
}
