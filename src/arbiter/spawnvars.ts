// The variable table for spawn-time `$(circus.KEY)` substitution in cmd, args and shell_args (§1.9):
// keys that only exist per process (wid, socket fds as the child sees them and their addresses, the
// process env); readiness probes add the pid once it is known.
// The substitution itself is the config module's `substitute`, shared with load time.

export { substitute } from "../config/substitute.ts";

/** Python's str() of a config value, as Circus renders watcher attributes. */
function pyStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A socket as one spawn sees it: the fd number in the child and the address it is bound to. */
export interface SocketVars {
  childFd: number;
  host: string;
  port: number;
}

/**
 * The key → value table for one spawn: watcher attributes, wid, env, socket fds (`sockets.NAME`) and
 * addresses (`sockets.NAME.host`, `sockets.NAME.port`; decisions §6).
 */
export function spawnVars(
  attributes: Record<string, unknown>,
  wid: number,
  env: Record<string, string>,
  sockets: Map<string, SocketVars>,
): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        vars.set(`${key}.${sub}`.toLowerCase(), pyStr(subValue));
      }
    } else {
      vars.set(key.toLowerCase(), pyStr(value));
    }
  }
  vars.set("wid", String(wid));
  for (const [key, value] of Object.entries(env)) vars.set(`env.${key.toLowerCase()}`, value);
  for (const [name, sock] of sockets) {
    const key = `sockets.${name.toLowerCase()}`;
    vars.set(key, String(sock.childFd));
    vars.set(`${key}.host`, sock.host);
    vars.set(`${key}.port`, String(sock.port));
  }
  return vars;
}
