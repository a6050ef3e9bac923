// The client tools' stdout and stderr, written synchronously so a failed write is seen where it happens:
// `circusctl status > /dev/full` must fail (Bun's process.stdout drops ENOSPC on files), and
// `circusctl logs -f | head` must end once head has gone (EPIPE) instead of writing into nothing.

import { writeSync } from "node:fs";

/** A write to stdout or stderr failed; `code` is the errno name (ENOSPC, EPIPE, EIO…). */
export class OutputError extends Error {
  override readonly name = "OutputError";
  constructor(
    readonly stream: "stdout" | "stderr",
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`cannot write to ${stream}: ${code}`, options);
  }

  /** The reader went away (a pipe into `head`): the output did its job, nothing to report. */
  get readerGone(): boolean {
    return this.code === "EPIPE";
  }
}

const encoder = new TextEncoder();

/** Sleep `ms` without yielding: a non-blocking stdout that is full (EAGAIN) is retried in place. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One output fd: every byte written or an OutputError recorded; after a failure, writes are dropped. */
export class SyncOutput {
  private failure: OutputError | null = null;
  private readonly closed = new AbortController();

  constructor(
    private readonly fd: 1 | 2,
    private readonly stream: "stdout" | "stderr",
  ) {}

  /** The first failed write, or null. */
  get failed(): OutputError | null {
    return this.failure;
  }

  /** Aborted at the first failed write: loops that follow output (logs -f, listen) stop. */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  write(text: string): void {
    if (this.failure !== null || text === "") return;
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "EIO";
        if (code === "EAGAIN") {
          pause(5);
          continue;
        }
        this.failure = new OutputError(this.stream, code, { cause: err });
        this.closed.abort();
        return;
      }
    }
  }
}

export const stdout = new SyncOutput(1, "stdout");
export const stderr = new SyncOutput(2, "stderr");

/**
 * The exit status after a tool ran: `status` when stdout took everything; 1 with one line on stderr when
 * a write failed (disk full, I/O error); `status` unchanged when the reader went away (EPIPE), silently.
 */
export function exitStatusAfterOutput(tool: string, status: number, out: SyncOutput = stdout): number {
  const failure = out.failed;
  if (failure === null || failure.readerGone) return status;
  stderr.write(`${tool}: ${failure.message}\n`);
  return 1;
}
