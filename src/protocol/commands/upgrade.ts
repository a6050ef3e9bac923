// `upgrade` (beyond Circus, as SIGUSR2): re-execute the daemon in place with the same or another
// binary, handing over its workers, sockets, output channels, `logs` tails and counters; the workers
// keep running. The reply comes once every check passed, just before the exec; `--waiting` makes
// circusctl wait for the new daemon to answer and prints its version.

import type { Command } from "../command.ts";
import { CommandError, Errno } from "../errors.ts";

export const upgrade = {
  name: "upgrade",
  summary: "Replace the daemon with a new binary, keeping every worker",
  help:
    "Re-execute the daemon in place (same pid) with its own binary or --binary PATH, handing over every\n" +
    "worker, listening socket and output channel: workers keep running, nothing they write is lost, clients\n" +
    "reconnect by themselves. The binary is checked first (owned by root, not writable by others, answers\n" +
    "--version, loads the config); on any failure the daemon carries on as it was and this says why.\n" +
    "Only root (or the daemon's own user) may upgrade. With --waiting, returns once the new daemon answers.\n\n" +
    "  circus ctl upgrade [--binary PATH] [--waiting]",
  cli: [
    {
      property: "binary",
      kind: "option",
      convert: "string",
      description: "the circus binary to run (default: the daemon's own)",
    },
    { property: "waiting", kind: "flag", description: "return once the new daemon answers, with its version" },
  ] as const,
  async: true,
  validate(properties) {
    const binary = properties.binary;
    if (binary !== undefined && binary !== null && (typeof binary !== "string" || binary === "")) {
      throw new CommandError(Errno.MESSAGE_ERROR, "binary: expected the path of a circus binary");
    }
    // The daemon's working directory is not the client's: a relative path would name another file.
    if (typeof binary === "string" && !binary.startsWith("/")) {
      throw new CommandError(
        Errno.MESSAGE_ERROR,
        `binary: ${JSON.stringify(binary)} is relative; give the absolute path (circus ctl resolves it for you)`,
      );
    }
    return { binary: typeof binary === "string" ? binary : null };
  },
  async execute(ctx, props) {
    if (!ctx.upgrade) {
      throw new CommandError(Errno.COMMAND_ERROR, "upgrade is only available in a daemon started by `circus daemon`");
    }
    try {
      // No requester known means nobody vouched for the peer: refused like an unknown one, never trusted.
      return await ctx.upgrade({ binary: props.binary, requester: ctx.requester ?? { uid: null, owner: null } });
    } catch (err) {
      throw new CommandError(Errno.COMMAND_ERROR, `upgrade refused: ${(err as Error).message}`, { cause: err });
    }
  },
  format: (reply) => `upgrading circus ${String(reply.from)} → ${String(reply.to)} (pid ${String(reply.pid)})`,
} satisfies Command<{ binary: string | null }>;
