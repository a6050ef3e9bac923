// FileStream (append, size rotation app.log → app.log.1 …) and WatchedFileStream (reopen when logrotate
// or a user moved the file away). Rotation happens only between lines; a line longer than max_bytes is
// the one thing that can make a file exceed it. Pipes, ttys and /dev/* are written but never rotated.

import { nodeFs } from "../util/node.ts";
import { inPinnedDirectory, openAppend } from "../os/fs.ts";
import { basename, dirname } from "../util/path.ts";
import { getLogger } from "../util/log.ts";
import { gzipFile } from "./compress.ts";
import { StreamConfigError } from "./errors.ts";
import { WriteQueue, writevAsync } from "./queue.ts";
import { renderEntry } from "./render.ts";
import type { OutputEntry, OutputStream } from "./types.ts";

const log = getLogger("circus.streams");
const NL = 10;
const REOPEN_RETRY_MS = 1000;

export interface FileStreamOptions {
  /** Absolute path. */
  path: string;
  /** 0 = never rotate by size. */
  maxBytes: number;
  backupCount: number;
  /** strftime format of the per-line prefix; null = raw output. */
  timeFormat: string | null;
  /** gzip rotated files (beyond Circus). */
  compress: boolean;
  now: () => number;
}

export class FileStream implements OutputStream {
  readonly kind: string = "FileStream";
  protected fd: number | null = null;
  /** Regular file: rotation allowed. Pipes and character devices are only ever appended to. */
  protected regular = true;
  /** Size including what is queued, so rotation is decided when data is queued, in order. */
  protected size = 0;
  protected identity: { dev: number; ino: number } | null = null;
  protected readonly queue: WriteQueue;
  protected compressing: Promise<void> = Promise.resolve();
  private closed = false;
  private lastOpenAttempt = 0;

  constructor(readonly options: FileStreamOptions) {
    this.queue = new WriteQueue((batch) => this.writeBatch(batch), { what: options.path });
    this.openFile(true);
  }

  get path(): string {
    return this.options.path;
  }

  get backlog(): number {
    return this.queue.backlog;
  }

  /** Whole lines that could not be written (full disk, stalled target…), counted since the stream opened. */
  get dropped(): { lines: number; bytes: number } {
    return this.queue.dropped;
  }

  write(entry: OutputEntry): void {
    if (this.closed) {
      this.queue.reject(entry.data, new Error("stream is closed"));
      return;
    }
    this.admit(renderEntry(entry, this.options.timeFormat, this.options.now));
  }

  flush(): Promise<void> {
    return this.queue.barrier();
  }

  reopen(): Promise<void> {
    return this.queue.run(() => {
      this.closeFd();
      this.openFile(false);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    await this.compressing;
    this.closeFd();
  }

  /** Queue whole lines, rotating before the first line that would bring the file to max_bytes. */
  protected admit(data: Uint8Array): void {
    const { maxBytes, backupCount } = this.options;
    if (!this.regular || maxBytes <= 0 || backupCount <= 0) {
      this.append(data);
      return;
    }
    while (data.length > 0) {
      if (this.size + data.length < maxBytes) {
        this.append(data);
        return;
      }
      const room = maxBytes - 1 - this.size;
      const cut = room > 0 ? data.lastIndexOf(NL, room - 1) + 1 : 0;
      if (cut > 0) {
        this.append(data.subarray(0, cut));
        data = data.subarray(cut);
      } else if (this.size === 0) {
        // A single line longer than max_bytes: it gets a file of its own rather than being cut.
        const end = data.indexOf(NL) + 1 || data.length;
        this.append(data.subarray(0, end));
        data = data.subarray(end);
      }
      if (data.length > 0) this.queueRotation();
    }
  }

  protected append(data: Uint8Array): void {
    this.size += data.length;
    this.queue.push(data);
  }

  protected queueRotation(): void {
    this.size = 0;
    void this.queue.run(() => this.rotate());
  }

  /** Shift app.log.N-1 → app.log.N … app.log → app.log.1, reopen, compress app.log.1 in the background. */
  protected async rotate(): Promise<void> {
    await this.compressing;
    this.closeFd();
    const { path, backupCount, compress } = this.options;
    const name = basename(path);
    try {
      // In the directory as it is, never through a link someone put in its place (see inPinnedDirectory).
      inPinnedDirectory(dirname(path), (dir) => {
        const move = (from: string, to: string) => moveIfExists(dir.at(from), dir.at(to));
        for (let i = backupCount - 1; i >= 1; i--) {
          for (const ext of ["", ".gz"]) move(`${name}.${i}${ext}`, `${name}.${i + 1}${ext}`);
        }
        move(name, `${name}.1`);
      });
    } catch (err) {
      this.queue.report(err);
      return; // the file stays closed; writeBatch retries opening it
    }
    // No re-measure: admit() already counts the lines queued behind this rotation for the new file.
    this.openFile(false, false);
    if (compress) this.compressInBackground(`${path}.1`);
  }

  protected compressInBackground(file: string): void {
    this.compressing = gzipFile(file).then(
      () => undefined,
      (err) => log.error(`cannot compress ${file}: ${(err as Error).message}`),
    );
  }

  /** Called before each batch; WatchedFileStream checks for external rotation here. */
  protected beforeBatch(): void {}

  /** One writev of (part of) a batch; the queue follows short writes and drops lines on failure. */
  private writeBatch(batch: Uint8Array[]): Promise<number> {
    this.beforeBatch();
    if (this.fd === null && Date.now() - this.lastOpenAttempt >= REOPEN_RETRY_MS) this.openFile(false);
    if (this.fd === null) return Promise.reject(new Error("file is not open"));
    return writevAsync(this.fd, batch);
  }

  /**
   * Open in append mode. On the first open a failure is a config error; later it is logged and retried.
   * `measure` re-reads the size (not after our own rotation, whose accounting already moved on).
   */
  protected openFile(strict: boolean, measure = true): void {
    this.lastOpenAttempt = Date.now();
    try {
      // Never through a symbolic link a worker planted in place of its log (see openAppend).
      const fd = openAppend(this.options.path, 0o644);
      const st = nodeFs().fstatSync(fd);
      this.fd = fd;
      this.regular = st.isFile();
      if (measure) this.size = this.regular ? st.size + this.queue.backlog : 0;
      this.identity = { dev: st.dev, ino: st.ino };
    } catch (err) {
      if (strict)
        throw new StreamConfigError(`cannot open ${this.options.path}: ${(err as Error).message}`, { cause: err });
      this.queue.report(err);
      this.fd = null;
    }
  }

  protected closeFd(): void {
    if (this.fd === null) return;
    try {
      nodeFs().closeSync(this.fd);
    } catch {
      // Already gone; nothing left to release.
    }
    this.fd = null;
  }
}

/** FileStream that notices when its file was moved or deleted (logrotate) and starts a new one. */
export class WatchedFileStream extends FileStream {
  override readonly kind: string = "WatchedFileStream";

  protected override beforeBatch(): void {
    if (this.fd === null || !this.regular || this.identity === null) return;
    const st = nodeFs().statSync(this.options.path, { throwIfNoEntry: false });
    if (st && st.dev === this.identity.dev && st.ino === this.identity.ino) return;
    this.closeFd();
    this.openFile(false);
  }
}

function moveIfExists(from: string, to: string): void {
  if (nodeFs().existsSync(from)) nodeFs().renameSync(from, to);
}
