// `listsockets`: the circus-managed listening sockets, sorted by file descriptor.

import type { Command, JsonObject } from "../command.ts";

export const listsockets = {
  name: "listsockets",
  summary: "Get the list of sockets",
  help: "The sockets circus binds for its watchers, one per line: `<fd>:socket '<name>' at <address>`.\n\n  circus ctl listsockets",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  execute(ctx) {
    const sockets = [...ctx.arbiter.sockets()]
      .sort((a, b) => a.fd - b.fd)
      .map(
        (s): JsonObject =>
          s.path
            ? { fd: s.fd, name: s.name, backlog: s.backlog, path: s.path }
            : { fd: s.fd, name: s.name, backlog: s.backlog, host: s.host, port: s.port },
      );
    return { sockets };
  },
  format(reply) {
    const sockets = (reply.sockets ?? []) as JsonObject[];
    return sockets.map((s) => `${s.fd}:socket '${s.name}' at ${s.path ?? `${s.host}:${s.port}`}`).join("\n");
  },
} satisfies Command<Record<string, never>>;
