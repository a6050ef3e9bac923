// Load-time checks of a watcher's readiness probe (decisions §6): one probe at most, and an http or tcp
// probe must reach this process, never a shared [socket:*] address, which the kernel answers whichever
// process (old generation or new) ends up accepting.

import type { SectionReader } from "./fields.ts";
import { probeAddress, probeOf, probesSet } from "./options/ready.ts";
import type { SocketConfig, WatcherConfig } from "./types.ts";

const PER_PROCESS = /\$\(circus\.(wid|pid)\)|\(\(circus\.(wid|pid)\)\)/i;
const SOCKET_VARIABLE =
  /\$\(circus\.sockets\.([\w.-]+?)(?:\.(?:port|host))?\)|\(\(circus\.sockets\.([\w.-]+?)(?:\.(?:port|host))?\)\)/i;
const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::", "*"]);

/** Record problems and warnings about `w.ready` on the reader (file:line of the `ready.*` key). */
export function checkReadiness(r: SectionReader, w: WatcherConfig, sockets: readonly SocketConfig[]): void {
  const set = probesSet(w.ready);
  if (set.length > 1) {
    r.problem(
      `ready.${set[1]}`,
      `only one probe per watcher, but ${set.map((k) => `ready.${k}`).join(" and ")} are set; keep the one that says this process serves`,
    );
    return;
  }
  const probe = probeOf(w.ready);
  if (probe === null) {
    for (const key of ["interval", "timeout"] as const) {
      if (r.entry(`ready.${key}`) !== undefined)
        r.warn(`ready.${key}`, "has no effect without a probe (ready.http, tcp, cmd, log or notify)");
    }
    return;
  }
  if (probe.kind === "log" && w.close_child_stdout && w.close_child_stderr) {
    r.problem(
      "ready.log",
      "reads the lines the process writes, but close_child_stdout and close_child_stderr close both: keep one open, or use another probe",
    );
    return;
  }
  if (probe.kind === "notify") return;
  const unknown = unknownVariable(probe.target, w, sockets);
  if (unknown) {
    r.problem(`ready.${probe.kind}`, unknown);
    return;
  }
  if (probe.kind !== "http" && probe.kind !== "tcp") return;
  const key = `ready.${probe.kind}`;
  const fix =
    "probe a per-process address instead (a port with $(circus.wid), like 127.0.0.1:90$(circus.wid)), or use ready.notify or ready.log";
  const named = SOCKET_VARIABLE.exec(probe.target);
  if (named) {
    const name = (named[1] ?? named[2] ?? "").toLowerCase();
    r.problem(key, `${JSON.stringify(probe.target)} is the address of [socket:${name}], ${whyNot()}; ${fix}`);
    return;
  }
  if (PER_PROCESS.test(probe.target)) return;
  const address = probeAddress(probe.kind, probe.target);
  const socket = address && sockets.find((s) => s.path === null && s.port !== 0 && sameAddress(s, address));
  if (socket) {
    r.problem(key, `${JSON.stringify(probe.target)} is the address of [socket:${socket.name}], ${whyNot()}; ${fix}`);
    return;
  }
  if (w.numprocesses > 1) {
    r.warn(
      key,
      `${JSON.stringify(probe.target)} is the same address for every process: during a reload the old process answers for the new one; use $(circus.wid) or $(circus.pid) in it unless one process alone ever binds it`,
    );
  }
}

const VARIABLE = /\$\(circus\.([\w.-]+)\)|\(\(circus\.([\w.-]+)\)\)/gi;

/**
 * Why a `$(circus.X)` in the probe would stay as written at spawn (the probe would then fail for every
 * process, long after the load): X must be wid, pid, env.NAME, sockets.NAME[.host|.port] of a configured
 * socket, or one of the watcher's options. Null when every variable is known.
 */
function unknownVariable(text: string, w: WatcherConfig, sockets: readonly SocketConfig[]): string | null {
  for (const match of text.matchAll(VARIABLE)) {
    const name = (match[1] ?? match[2] ?? "").toLowerCase();
    if (name === "wid" || name === "pid" || name.startsWith("env.")) continue;
    const socket = /^sockets\.([\w.-]+?)(?:\.(?:host|port))?$/.exec(name);
    if (socket) {
      if (sockets.some((s) => s.name.toLowerCase() === socket[1])) continue;
      return `${match[0]} names no configured socket: add [socket:${socket[1]}] or fix the name`;
    }
    if (Object.hasOwn(w, name.split(".")[0]!)) continue;
    return `${match[0]} is not a variable a probe knows, expected $(circus.wid), $(circus.pid), $(circus.env.NAME) or $(circus.sockets.NAME.port)`;
  }
  return null;
}

function whyNot(): string {
  return "which the kernel accepts whichever process (old or new) serves it, so it proves nothing about this process";
}

function sameAddress(socket: SocketConfig, probe: { host: string; port: number }): boolean {
  if (socket.port !== probe.port) return false;
  const a = socket.host.toLowerCase();
  const b = probe.host.toLowerCase();
  return a === b || WILDCARD_HOSTS.has(a) || (isLoopback(a) && isLoopback(b));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
