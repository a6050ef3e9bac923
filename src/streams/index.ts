// Public face of the output layer: streams, the pipe reader, the tail buffer, the watcher seam and
// daemon log outputs.

export type { Channel, OutputEntry, OutputStream, StreamContext, StreamFactory } from "./types.ts";
export { StreamConfigError, LogOutputError } from "./errors.ts";
export { LineSplitter, MAX_PENDING_LINE } from "./lines.ts";
export { strftime } from "./strftime.ts";
export {
  createStream,
  resolveStreamClass,
  reopenAllStreams,
  openStreamPaths,
  STREAM_CLASSES,
  type StreamClass,
} from "./create.ts";
export { FileStream, WatchedFileStream, type FileStreamOptions } from "./file.ts";
export {
  TimedRotatingFileStream,
  parseRotateWhen,
  nextRollover,
  rolloverSuffix,
  type RotateSchedule,
} from "./timed.ts";
export { StdoutStream, FancyStdoutStream, PassthroughStream, COLORS, colorFor } from "./console.ts";
export { QueueStream, NullStream } from "./memory.ts";
export { gzipFile } from "./compress.ts";
export { CaptureReader, DEFAULT_BLOCK_TIMEOUT, HIGH_WATER, type CaptureReaderOptions } from "./reader.ts";
export { TailBuffer, DEFAULT_TAIL_LINES, MAX_TAIL_LINE, type TailLine, type TailListener } from "./tail.ts";
export { WatcherOutput, type WatcherOutputConfig, type WatcherOutputOptions } from "./output.ts";
export { openLogOutput, loadLoggerConfig, syslogMessage, type LogOutput, type LoggerConfig } from "./logoutput.ts";
