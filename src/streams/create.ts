// From `stdout_stream.*` options to a stream: class lookup (our names, Circus's `circus.stream.X`
// spellings, or a `./module.ts:factory`), option coercion, and one shared writer per file path.

import { nodeOs } from "../util/node.ts";
import { isAbsolute, resolve } from "../util/path.ts";
import { getLogger } from "../util/log.ts";
import { FancyStdoutStream, StdoutStream } from "./console.ts";
import { ScalarError } from "../config/scalars.ts";
import { type OptionSpec, plainContext, rangeProblem } from "../config/options/spec.ts";
import { STREAM_OPTIONS, type StreamClass, streamClassOf } from "../config/options/stream.ts";
import { StreamConfigError } from "./errors.ts";
import { FileStream, WatchedFileStream, type FileStreamOptions } from "./file.ts";
import { NullStream, QueueStream } from "./memory.ts";
import { TimedRotatingFileStream, parseRotateWhen } from "./timed.ts";
import type { OutputEntry, OutputStream, StreamContext, StreamFactory } from "./types.ts";

const log = getLogger("circus.streams");

// The classes and how `class` names one are facts of the stream table (config/options/stream.ts).
export { STREAM_CLASS_NAMES as STREAM_CLASSES, type StreamClass } from "../config/options/stream.ts";

/** Which built-in a `class` value names, or a custom module; throws naming the valid classes. */
export function resolveStreamClass(
  config: Record<string, string>,
): StreamClass | { module: string; exportName: string } {
  const choice = streamClassOf(config);
  if (typeof choice === "object" && "error" in choice) throw new StreamConfigError(choice.error);
  return choice;
}

/** Build the stream a `stdout_stream.*` / `stderr_stream.*` configuration describes. */
export async function createStream(config: Record<string, string>, ctx: StreamContext): Promise<OutputStream> {
  if (Object.hasOwn(config, "refresh_time"))
    log.warning(`watcher ${ctx.watcher}: stream option refresh_time is deprecated and ignored`);
  const cls = resolveStreamClass(config);
  if (typeof cls === "object") return loadCustom(cls, config, ctx);
  switch (cls) {
    case "QueueStream":
      return new QueueStream();
    case "NullStream":
      return new NullStream();
    case "StdoutStream":
      return new StdoutStream({ stallMs: ctx.blockTimeoutMs });
    case "FancyStdoutStream":
      return new FancyStdoutStream({
        stallMs: ctx.blockTimeoutMs,
        color: config.color,
        timeFormat: config.time_format,
        watcher: ctx.watcher,
        now: ctx.now,
      });
  }
  return openShared(cls, config, ctx);
}

async function loadCustom(
  cls: { module: string; exportName: string },
  config: Record<string, string>,
  ctx: StreamContext,
): Promise<OutputStream> {
  const path = isAbsolute(cls.module) ? cls.module : resolve(ctx.configDir, cls.module);
  let mod: Record<string, unknown>;
  try {
    mod = await import(path);
  } catch (err) {
    throw new StreamConfigError(`cannot load stream module ${path}: ${(err as Error).message}`, { cause: err });
  }
  const factory = mod[cls.exportName];
  if (typeof factory !== "function") {
    throw new StreamConfigError(
      `${path} has no exported function ${JSON.stringify(cls.exportName)} (class = ${config.class})`,
    );
  }
  const stream = (await (factory as StreamFactory)(config, ctx)) as Partial<OutputStream> | null;
  if (!stream || typeof stream.write !== "function") {
    throw new StreamConfigError(`${config.class} did not return a stream (an object with write(entry))`);
  }
  return adaptCustom(stream, config.class!);
}

/** Fill in the optional parts a hand-written stream may leave out. */
function adaptCustom(stream: Partial<OutputStream>, kind: string): OutputStream {
  return {
    kind,
    get backlog() {
      return stream.backlog ?? 0;
    },
    write: (entry: OutputEntry) => {
      try {
        stream.write!(entry);
      } catch (err) {
        log.error(`stream ${kind} failed to write: ${(err as Error).message}`);
      }
    },
    flush: async () => stream.flush?.(),
    reopen: async () => stream.reopen?.(),
    close: async () => stream.close?.(),
  };
}

// One stream per file path, shared by stdout and stderr (and by every watcher naming the same file).
interface Shared {
  stream: FileStream;
  cls: StreamClass;
  refs: number;
  signature: string;
}
const shared = new Map<string, Shared>();

function openShared(cls: StreamClass, config: Record<string, string>, ctx: StreamContext): OutputStream {
  const options = fileOptions(config, ctx);
  const signature = JSON.stringify([
    cls,
    options.maxBytes,
    options.backupCount,
    options.timeFormat,
    options.compress,
    config.rotate_when ?? "",
    config.rotate_interval ?? "",
    config.utc ?? "",
  ]);
  let entry = shared.get(options.path);
  if (entry) {
    if (entry.signature !== signature && entry.cls === cls && cls !== "TimedRotatingFileStream") {
      // One writer per file, so the newest options win: `set stdout_stream.max_bytes …` opens the new
      // stream while the old one still holds the file, and must change how it rotates.
      Object.assign(entry.stream.options, {
        maxBytes: options.maxBytes,
        backupCount: options.backupCount,
        timeFormat: options.timeFormat,
        compress: options.compress,
      });
      entry.signature = signature;
      log.info(`watcher ${ctx.watcher}: ${options.path} now rotates with the newest stream options`);
    } else if (entry.signature !== signature) {
      log.warning(
        `watcher ${ctx.watcher}: ${options.path} is already open as ${entry.cls} with other options; using those`,
      );
    }
  } else {
    const stream =
      cls === "TimedRotatingFileStream"
        ? new TimedRotatingFileStream(options, {
            ...parseRotateWhen(config.rotate_when),
            interval: streamOption(config, "rotate_interval"),
            utc: streamOption(config, "utc"),
          })
        : cls === "WatchedFileStream"
          ? new WatchedFileStream(options)
          : new FileStream(options);
    if (cls === "FileStream" && options.maxBytes > 0 && options.backupCount === 0) {
      log.warning(
        `watcher ${ctx.watcher}: ${options.path} has max_bytes but backup_count = 0, so it is never rotated (as in Circus)`,
      );
    }
    entry = { stream, cls, refs: 0, signature };
    shared.set(options.path, entry);
  }
  entry.refs++;
  return handle(options.path, entry);
}

function handle(path: string, entry: Shared): OutputStream {
  let open = true;
  const { stream } = entry;
  return {
    kind: stream.kind,
    get backlog() {
      return stream.backlog;
    },
    write: (e) => stream.write(e),
    flush: () => stream.flush(),
    reopen: () => stream.reopen(),
    close: async () => {
      if (!open) return stream.flush();
      open = false;
      if (--entry.refs > 0) return stream.flush();
      if (shared.get(path) === entry) shared.delete(path);
      await stream.close();
    },
  };
}

/** Reopen every file stream (SIGUSR1, the `reopen` command): files moved by logrotate start afresh. */
export async function reopenAllStreams(): Promise<void> {
  await Promise.all([...shared.values()].map((s) => s.stream.reopen()));
}

/** Paths of the file streams currently open (diagnostics, tests). */
export function openStreamPaths(): string[] {
  return [...shared.keys()];
}

function fileOptions(config: Record<string, string>, ctx: StreamContext): FileStreamOptions {
  let filename = config.filename?.trim();
  if (!filename) {
    // Circus's choice, kept: a fresh temporary file per start. Say where, or the output is as good as lost.
    filename = resolve(nodeOs().tmpdir(), `circus-${ctx.watcher}-${process.pid}-${Date.now()}.log`);
    log.warning(`watcher ${ctx.watcher}: ${config.class} without a filename writes to ${filename}`);
  }
  return {
    path: resolve(ctx.cwd ?? process.cwd(), filename),
    maxBytes: streamOption(config, "max_bytes"),
    backupCount: streamOption(config, "backup_count"),
    timeFormat: config.time_format || null,
    compress: streamOption(config, "compress"),
    now: ctx.now ?? Date.now,
  };
}

type TypedStreamOption = "max_bytes" | "backup_count" | "rotate_interval" | "compress" | "utc";

/** A typed sub-option read by the stream table's kind and range (the same rule the config loader checks). */
function streamOption<K extends TypedStreamOption>(
  config: Record<string, string>,
  key: K,
): (typeof STREAM_OPTIONS)[K]["default"] {
  const spec: OptionSpec<number | boolean> = STREAM_OPTIONS[key];
  const text = Object.hasOwn(config, key) ? config[key]?.trim() : undefined;
  if (text === undefined || text === "") return spec.default as (typeof STREAM_OPTIONS)[K]["default"];
  try {
    const value = spec.kind.fromText(text, plainContext());
    const range = rangeProblem(spec.range, value);
    if (range) throw new ScalarError(range);
    return value as (typeof STREAM_OPTIONS)[K]["default"];
  } catch (err) {
    if (!(err instanceof ScalarError)) throw err;
    throw new StreamConfigError(`${key}: ${err.message}`, { cause: err });
  }
}
