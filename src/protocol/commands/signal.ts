// `signal`: send a signal to a watcher's processes, one pid, its children, or its whole tree.

import type { Command } from "../command.ts";
import { messageError, toCommandError } from "../errors.ts";
import { lookupWatcher } from "../execution.ts";
import { optBool, optInt, requireString, requireValue, toSignal } from "../props.ts";

export interface SignalProps {
  name: string;
  signum: number;
  pid?: number;
  childpid?: number;
  children: boolean;
  recursive: boolean;
}

export const signal = {
  name: "signal",
  summary: "Send a signal",
  help:
    "Send <signum> to every process of a watcher, or to <pid>; --children sends it to the direct children\n" +
    "only, --recursive to the process and all its descendants.\n\n" +
    "  circus ctl signal <name> [<pid>] [--children] [--recursive] <signum>",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "pid", kind: "positional", optional: true, convert: "int", description: "one process id" },
    { property: "signum", kind: "positional", convert: "signal", description: "signal name or number" },
    { property: "children", kind: "flag", description: "only the direct children" },
    { property: "recursive", kind: "flag", description: "the process and all its descendants" },
  ] as const,
  async: false,
  validate(p) {
    const props: SignalProps = {
      name: requireString(p, "name"),
      signum: toSignal(requireValue(p, "signum")),
      pid: optInt(p, "pid", 1),
      childpid: optInt(p, "childpid", 1),
      children: optBool(p, "children", false),
      recursive: optBool(p, "recursive", false),
    };
    if (props.childpid !== undefined && props.pid === undefined)
      throw messageError("message invalid 'childpid' requires 'pid'");
    return props;
  },
  async execute(ctx, props) {
    const w = lookupWatcher(ctx, props.name);
    try {
      await w.signal({
        signum: props.signum,
        pid: props.pid,
        childpid: props.childpid,
        children: props.children,
        recursive: props.recursive,
      });
    } catch (err) {
      throw toCommandError(err) ?? err;
    }
  },
  format: () => "ok",
} satisfies Command<SignalProps>;
