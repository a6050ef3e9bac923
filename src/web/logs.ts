// Follow one watcher's output with the `logs` command: the last lines first, then a long poll from
// the cursor (`since` + `wait`), so new lines reach the page within a poll's batch window. A daemon
// without `logs` (a real circusd) is reported once, not retried.

import type { JsonObject, Reply } from "../protocol/command.ts";
import { MAX_LOG_WAIT } from "../protocol/commands/logs.ts";
import { delay } from "../util/async.ts";

/** Lines kept per followed watcher, sent to a page that opens. */
export const TAIL_KEEP = 200;

export interface LogLine {
  pid: number;
  stream: string;
  /** Epoch seconds. */
  time: number;
  line: string;
}

export type Caller = (command: string, properties: JsonObject, timeoutMs: number) => Promise<Reply>;

export class LogTail {
  readonly lines: LogLine[] = [];
  /** Why there is no output to follow (no `logs` command, no tail kept), or null. */
  error: string | null = null;
  private cursor: number | null = null;
  private started = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly call: Caller,
    readonly name: string,
    private readonly onLines: (lines: LogLine[]) => void,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.loop(this.stopping.signal);
  }

  /** For good: a stopped tail is not started again (a new follower makes a new one). */
  stop(): void {
    this.stopping.abort();
  }

  private async loop(stopping: AbortSignal): Promise<void> {
    while (!stopping.aborted) {
      let reply: Reply;
      try {
        reply =
          this.cursor === null
            ? await this.call("logs", { name: this.name, lines: TAIL_KEEP }, 5000)
            : await this.call(
                "logs",
                { name: this.name, since: this.cursor, wait: MAX_LOG_WAIT },
                (MAX_LOG_WAIT + 3) * 1000,
              );
      } catch {
        // A timeout or the link's client closing: ask again (a closed link stops this tail too).
        await delay(1000, stopping);
        continue;
      }
      if (stopping.aborted) return;
      if (reply.status !== "ok") {
        const reason = String(reply.reason ?? "error");
        // No such command, or this watcher keeps no output: nothing will change by asking again.
        this.error = /unknown command/.test(reason)
          ? "the daemon has no `logs` command (circusd 0.19 keeps no output to show)"
          : reason;
        this.onLines([]);
        return;
      }
      this.error = null;
      const lines = ((reply.lines ?? []) as unknown as LogLine[]).map((l) => ({
        pid: Number(l.pid),
        stream: String(l.stream),
        time: Number(l.time),
        line: String(l.line),
      }));
      this.cursor = typeof reply.cursor === "number" ? reply.cursor : this.cursor;
      if (lines.length > 0) {
        this.lines.push(...lines);
        if (this.lines.length > TAIL_KEEP) this.lines.splice(0, this.lines.length - TAIL_KEEP);
        this.onLines(lines);
      }
    }
  }
}
