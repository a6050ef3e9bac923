// `listsockets`: the circus-managed listening sockets, sorted by file descriptor.

import type { ControlledArbiter, SocketEntry } from "../arbiter-api.ts";
import type { Command, JsonObject } from "../command.ts";

export const listsockets: Command<Record<string, never>> = {
  name: "listsockets",
  summary: "Get the list of sockets",
  help: "The sockets circus binds for its watchers, one per line: `<fd>:socket '<name>' at <address>`.\n\n  circus ctl listsockets",
  cli: [],
  async: false,
  validate: () => ({}),
  execute(ctx) {
    const sockets = socketEntries(ctx.arbiter.sockets())
      .sort((a, b) => a.fd - b.fd)
      .map(
        (s): JsonObject =>
          s.path
            ? { fd: s.fd, name: s.name, backlog: s.backlog, path: s.path }
            : { fd: s.fd, name: s.name, backlog: s.backlog, host: s.host ?? null, port: s.port ?? null },
      );
    return { sockets };
  },
  format(reply) {
    const sockets = (reply.sockets ?? []) as JsonObject[];
    return sockets.map((s) => `${s.fd}:socket '${s.name}' at ${s.path ?? `${s.host}:${s.port}`}`).join("\n");
  },
};

function socketEntries(src: ReturnType<ControlledArbiter["sockets"]>): SocketEntry[] {
  if (src instanceof Map) return [...src.values()];
  if (Symbol.iterator in (src as object)) return [...(src as Iterable<SocketEntry>)];
  return Object.values(src as Record<string, SocketEntry>);
}
