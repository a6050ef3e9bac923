import { describe, expect, test } from "bun:test";
import {
  InvalidOptionError,
  OperationError,
  SpawnError,
  WatcherExistsError,
  WatcherNotFoundError,
} from "../../src/arbiter/errors.ts";
import { OptionError } from "../../src/config/options/spec.ts";
import { ConfigError } from "../../src/config/types.ts";
import { OsError } from "../../src/os/errors.ts";
import { UnknownSignalError } from "../../src/os/signals.ts";
import { CommandError, Errno, toCommandError } from "../../src/protocol/errors.ts";
import { StreamConfigError } from "../../src/streams/errors.ts";

describe("toCommandError", () => {
  test("maps each typed failure to its Circus errno, keeping it as the cause", () => {
    const cases: [Error, Errno][] = [
      [new WatcherNotFoundError("web"), Errno.MESSAGE_ERROR],
      [new InvalidOptionError("bad value"), Errno.MESSAGE_ERROR],
      [new UnknownSignalError("SIGFOO"), Errno.MESSAGE_ERROR],
      [new StreamConfigError("bad stream"), Errno.MESSAGE_ERROR],
      [new WatcherExistsError("web"), Errno.COMMAND_ERROR],
      [new OperationError("refused"), Errno.COMMAND_ERROR],
      [new ConfigError([]), Errno.COMMAND_ERROR],
      [new SpawnError("no such file"), Errno.COMMAND_ERROR],
      [new OsError("kill", 1, "pid 1"), Errno.OS_ERROR],
    ];
    for (const [err, errno] of cases) {
      const typed = toCommandError(err);
      expect({ error: err.name, errno: typed?.errno }).toEqual({ error: err.name, errno });
      expect(typed?.reason).toBe(err.message);
      expect(typed?.cause).toBe(err);
    }
  });

  test("an option check's failure keeps the errno it carries (3 for a bad key or value, 5 for a refused change)", () => {
    for (const errno of [Errno.MESSAGE_ERROR, Errno.COMMAND_ERROR] as const) {
      const err = new OptionError("unknown key 'x'", errno);
      const typed = toCommandError(err);
      expect({ errno: typed?.errno, reason: typed?.reason }).toEqual({ errno, reason: "unknown key 'x'" });
      expect(typed?.cause).toBe(err);
    }
  });

  test("a system error from Bun or node (code and syscall) is errno 4", () => {
    const err = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", syscall: "open" });
    expect(toCommandError(err)?.errno).toBe(Errno.OS_ERROR);
  });

  test("a CommandError passes through unchanged", () => {
    const err = new CommandError(Errno.UNKNOWN_COMMAND, "nope");
    expect(toCommandError(err)).toBe(err);
  });

  test("the class decides, not the name: an unrelated error named like a known one is unexpected", () => {
    const impostor = new Error("looks familiar");
    impostor.name = "WatcherNotFoundError";
    expect(toCommandError(impostor)).toBeNull();
    expect(toCommandError("a string")).toBeNull();
  });
});
