// Levelled logging for every layer (zmtp included): one logger per component, writing
// `time name[pid] [LEVEL] message`. Library modules never print directly; the CLI decides the level
// and where lines go (stderr by default) with setLogLevel / setLogSink.

export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

/** Where formatted lines go (with their level); replaced by the daemon when `--log-output` names a file. */
export type LogSink = (line: string, level?: LogLevel) => void;

let threshold: number = LEVEL_RANK.info;
// Bun's own writer: `process.stderr` pulls in node's stream layer (~6 MB RSS in the compiled daemon).
let stderrWriter: ReturnType<typeof Bun.stderr.writer> | null = null;
let sink: LogSink = (line) => {
  stderrWriter ??= Bun.stderr.writer();
  stderrWriter.write(line + "\n");
  stderrWriter.flush();
};

/** Parse a level name as Circus accepts it (any case); returns null for an unknown name. */
export function parseLogLevel(text: string): LogLevel | null {
  const lower = text.trim().toLowerCase();
  if (lower === "warn") return "warning";
  return Object.hasOwn(LEVEL_RANK, lower) ? (lower as LogLevel) : null;
}

export function setLogLevel(level: LogLevel): void {
  threshold = LEVEL_RANK[level];
}

/** Whether `level` is at least as severe as `than`. */
export function atLeast(level: LogLevel, than: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[than];
}

/** Send lines to `next` from now on; returns the sink it replaces (to put it back). */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

function timestamp(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

/** A logger whose lines carry `name` (e.g. "circus", "circus.zmtp"). */
export function getLogger(name: string): Logger {
  const write = (level: LogLevel) => (message: string) => {
    if (LEVEL_RANK[level] < threshold) return;
    sink(`${timestamp()} ${name}[${process.pid}] [${level.toUpperCase()}] ${message}`, level);
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warning: write("warning"),
    error: write("error"),
    critical: write("critical"),
  };
}
