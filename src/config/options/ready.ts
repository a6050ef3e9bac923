// The readiness table: `ready.<opt>` keys of a watcher, the one probe that says when each of its
// processes is ready (decisions §6), and how often and how long it is tried. Probes are per process:
// `$(circus.wid)`, `$(circus.pid)` and `$(circus.sockets.NAME.port|host)` are substituted for each one.

import { ScalarError } from "../scalars.ts";
import { bool, float, optionalText, splitHostPort } from "./kinds.ts";
export { splitHostPort };
import { defaultsOf, type OptionSpec, option, type ValuesOf } from "./spec.ts";

/** Every `ready.*` key. */
export const READY_OPTIONS = {
  http: option(optionalText, {
    default: null,
    doc: "a URL answered with a 2xx status, per process: `http://127.0.0.1:90$(circus.wid)/health`",
  }),
  tcp: option(optionalText, {
    default: null,
    doc: "`host:port` that accepts a connection, per process: `127.0.0.1:70$(circus.wid)`",
  }),
  cmd: option(optionalText, {
    default: null,
    doc: "a command (through `/bin/sh -c`, in the watcher's env and working_dir, run by the daemon as its own user, not the watcher's uid) that exits 0",
  }),
  log: option(optionalText, {
    default: null,
    doc: "a regular expression (JavaScript syntax) found in a line the process writes on stdout or stderr",
  }),
  notify: option(bool, {
    default: false,
    doc: "the process sends `READY=1` to the `NOTIFY_SOCKET` the daemon gives it, as under systemd (`sd_notify`)",
  }),
  interval: option(float, {
    default: 0.5,
    // Below a hundredth of a second a probe per process would keep the daemon busy probing.
    range: { min: 0.01, text: "a number of seconds of at least 0.01, like 0.5" },
    doc: "seconds between attempts of an `http`, `tcp` or `cmd` probe (at least 0.01)",
  }),
  timeout: option(float, {
    default: 30,
    range: { above: 0, text: "a positive number of seconds like 30" },
    doc: "seconds a process may take to be ready; then it counts as a failed spawn: killed and replaced with the backoff, toward max_retry",
  }),
} as const satisfies Record<string, OptionSpec<unknown>>;

export type ReadyConfig = ValuesOf<typeof READY_OPTIONS>;

/** A watcher without a probe: each process is ready once spawned. */
export const READY_DEFAULTS: ReadyConfig = defaultsOf(READY_OPTIONS);

/** The probe kinds, in the order the docs list them. */
export const PROBE_KINDS = ["http", "tcp", "cmd", "log", "notify"] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** The configured probe, if any: its kind and its value as written (`true` for notify). */
export function probeOf(ready: ReadyConfig): { kind: ProbeKind; target: string } | null {
  for (const kind of PROBE_KINDS) {
    const value = ready[kind];
    if (value === true) return { kind, target: "true" };
    if (typeof value === "string" && value.trim() !== "") return { kind, target: value.trim() };
  }
  return null;
}

/** The probes set at once (at most one may be). */
export function probesSet(ready: ReadyConfig): ProbeKind[] {
  return PROBE_KINDS.filter((k) => {
    const v = ready[k];
    return v === true || (typeof v === "string" && v.trim() !== "");
  });
}

/**
 * Check a probe's text as far as it can be before substitution; throws ScalarError. `ready.log` must
 * compile; `ready.http` must be an http(s) URL; `ready.tcp` must be `host:port`.
 */
export function checkProbeText(kind: ProbeKind, text: string): void {
  // A per-process variable stands for digits or a name: check the shape with a stand-in.
  const shape = text.replace(/\$\([\w.-]+\)|\(\([\w.-]+\)\)/g, "1");
  if (kind === "log") {
    try {
      new RegExp(text);
    } catch (err) {
      throw new ScalarError(`${JSON.stringify(text)} is not a valid regular expression (${(err as Error).message})`);
    }
  } else if (kind === "http") {
    let url: URL | null = null;
    try {
      url = new URL(shape);
    } catch {
      // reported below
    }
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new ScalarError(
        `${JSON.stringify(text)} is not an http URL, expected one like http://127.0.0.1:90$(circus.wid)/health`,
      );
  } else if (kind === "tcp") {
    if (splitHostPort(shape) === null)
      throw new ScalarError(`${JSON.stringify(text)} is not host:port, expected one like 127.0.0.1:70$(circus.wid)`);
  }
}

/** The address an http or tcp probe connects to, once substituted; null for other kinds or bad text. */
export function probeAddress(kind: ProbeKind, text: string): { host: string; port: number } | null {
  if (kind === "tcp") return splitHostPort(text);
  if (kind !== "http") return null;
  try {
    const url = new URL(text);
    const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port };
  } catch {
    return null;
  }
}
