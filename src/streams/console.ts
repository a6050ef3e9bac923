// Streams that write to the daemon's own stdout/stderr: StdoutStream, FancyStdoutStream and the
// passthrough used when a watcher configures no stream. All share one queue per fd, so lines of
// different workers and watchers never interleave mid-line.

import { reopenPipeNonBlocking, WOULD_BLOCK, writevNow } from "../os/fs.ts";
import { nodeFs } from "../util/node.ts";
import { AGAIN, WriteQueue, writevAsync } from "./queue.ts";
import { isTerminal } from "../os/process.ts";
import { DEFAULT_TIME_FORMAT, decodeText, entryTimeMs, renderEntry } from "./render.ts";
import { splitLines } from "./lines.ts";
import { strftime } from "./strftime.ts";
import type { OutputEntry, OutputStream } from "./types.ts";

const encoder = new TextEncoder();
const writers = new Map<number, WriteQueue>();

/** The one queue writing to `fd` (1 = daemon stdout, 2 = daemon stderr); never closes the fd. */
export function fdQueue(fd: number, options: { stallMs?: number } = {}): WriteQueue {
  let queue = writers.get(fd);
  if (!queue) {
    queue = openFdQueue(fd, options);
    writers.set(fd, queue);
  } else if (options.stallMs !== undefined) {
    queue.limitStall(options.stallMs);
  }
  return queue;
}

/**
 * A new queue writing to `fd`. A pipe is written through a private non-blocking descriptor from the
 * event loop, so a reader that stops reading costs dropped lines, never a stuck thread; files,
 * terminals and sockets go through the thread pool, with the queue's stall timeout for one that
 * stops taking data.
 */
export function openFdQueue(fd: number, options: { stallMs?: number } = {}): WriteQueue {
  const what = fd === 1 ? "to stdout" : fd === 2 ? "to stderr" : `to fd ${fd}`;
  const pipe = isPipe(fd) ? reopenPipeNonBlocking(fd) : null;
  const write =
    pipe === null
      ? (batch: Uint8Array[]) => writevAsync(fd, batch)
      : (batch: Uint8Array[]) => {
          const n = writevNow(pipe, batch);
          return n === WOULD_BLOCK ? AGAIN : n;
        };
  return new WriteQueue(write, { what, stallMs: options.stallMs });
}

function isPipe(fd: number): boolean {
  try {
    return nodeFs().fstatSync(fd).isFIFO();
  } catch {
    return false; // not open: the thread-pool writer reports EBADF on the first line
  }
}

abstract class ConsoleStream implements OutputStream {
  abstract readonly kind: string;
  protected abstract render(entry: OutputEntry): Uint8Array;
  protected abstract queueFor(entry: OutputEntry): WriteQueue;
  protected readonly used = new Set<WriteQueue>();

  write(entry: OutputEntry): void {
    const queue = this.queueFor(entry);
    this.used.add(queue);
    queue.push(this.render(entry));
  }

  get backlog(): number {
    let total = 0;
    for (const q of this.used) total += q.backlog;
    return total;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.used].map((q) => q.barrier()));
  }

  async reopen(): Promise<void> {}

  close(): Promise<void> {
    return this.flush();
  }
}

export interface ConsoleOptions {
  /** Where output goes instead of fd 1 (tests). */
  fd?: number;
  now?: () => number;
  /** The writer's output_block_timeout (ms): the fd's queue drops what it holds once stalled this long. */
  stallMs?: number;
}

/** Circus's StdoutStream: every entry, stdout or stderr, as is on the daemon's stdout. */
export class StdoutStream extends ConsoleStream {
  readonly kind = "StdoutStream";
  private readonly queue: WriteQueue;

  constructor(options: ConsoleOptions = {}) {
    super();
    this.queue = fdQueue(options.fd ?? 1, { stallMs: options.stallMs });
  }

  protected render(entry: OutputEntry): Uint8Array {
    return renderEntry(entry, null, Date.now);
  }

  protected queueFor(): WriteQueue {
    return this.queue;
  }
}

/**
 * No stream configured: stdout to the daemon's stdout, stderr to its stderr, like an inherited fd; raw as
 * in Circus, or each line prefixed `name.pid | ` (`[circus] output_prefix`) so `docker logs` and journald
 * tell the watchers apart.
 */
export class PassthroughStream extends ConsoleStream {
  readonly kind = "PassthroughStream";
  private readonly out: WriteQueue;
  private readonly err: WriteQueue;
  private readonly prefix: string | null;

  constructor(options: { stdoutFd?: number; stderrFd?: number; prefix?: string | null; stallMs?: number } = {}) {
    super();
    this.out = fdQueue(options.stdoutFd ?? 1, { stallMs: options.stallMs });
    this.err = fdQueue(options.stderrFd ?? 2, { stallMs: options.stallMs });
    this.prefix = options.prefix ?? null;
  }

  protected render(entry: OutputEntry): Uint8Array {
    if (this.prefix === null) return entry.data;
    const head = `${this.prefix}.${entry.pid} | `;
    let out = "";
    for (const line of splitLines(decodeText(entry.data))) out += `${head}${line}\n`;
    return encoder.encode(out);
  }

  protected queueFor(entry: OutputEntry): WriteQueue {
    return entry.name === "stderr" ? this.err : this.out;
  }
}

/** Circus's colour order: red=31 … white=37. */
export const COLORS = ["red", "green", "yellow", "blue", "magenta", "cyan", "white"] as const;

/** Deterministic per-watcher colour, so a watcher keeps its colour across restarts (Circus: random). */
export function colorFor(watcher: string): (typeof COLORS)[number] {
  let hash = 0;
  for (const ch of watcher) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length]!;
}

export interface FancyOptions extends ConsoleOptions {
  color?: string;
  timeFormat?: string;
  watcher: string;
  /** Environment consulted for NO_COLOR (default: the daemon's). */
  env?: Record<string, string | undefined>;
  /** Whether the output fd is a terminal (default: asked of the system). */
  terminal?: boolean;
}

/** `<time> [<pid>] | line` per non-empty line, coloured on a terminal unless NO_COLOR is set. */
export class FancyStdoutStream extends ConsoleStream {
  readonly kind = "FancyStdoutStream";
  readonly color: (typeof COLORS)[number];
  readonly colored: boolean;
  private readonly queue: WriteQueue;
  private readonly timeFormat: string;
  private readonly now: () => number;

  constructor(options: FancyOptions) {
    super();
    const named = options.color?.trim().toLowerCase();
    this.color = COLORS.find((c) => c === named) ?? colorFor(options.watcher);
    // Escapes in a log file, a pipe or journald are noise: colour only what a terminal shows.
    this.colored = !(options.env ?? process.env).NO_COLOR && (options.terminal ?? isTerminal(options.fd ?? 1));
    this.timeFormat = options.timeFormat || DEFAULT_TIME_FORMAT;
    this.queue = fdQueue(options.fd ?? 1, { stallMs: options.stallMs });
    this.now = options.now ?? Date.now;
  }

  protected render(entry: OutputEntry): Uint8Array {
    const time = strftime(this.timeFormat, entryTimeMs(entry, this.now));
    const start = this.colored ? `\x1b[0;3${COLORS.indexOf(this.color) + 1};40m` : "";
    const end = this.colored ? "\x1b[0m" : "";
    let out = "";
    for (const line of splitLines(decodeText(entry.data))) {
      if (line) out += `${start}${time} [${entry.pid}] | ${line}${end}\n`;
    }
    return encoder.encode(out);
  }

  protected queueFor(): WriteQueue {
    return this.queue;
  }
}
