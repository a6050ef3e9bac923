// A FIFO of async tasks run one at a time: the per-watcher and arbiter-wide mutation queues.
// Circus rejects a command while another holds its lock (errno 5); queueing instead means a command
// is never refused, it just waits its turn.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Run `task` after every previously queued task has settled; resolves/rejects with its outcome. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    // The chain must survive a failing task, so the tail swallows the outcome (callers see it via `result`).
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  /** Number of tasks queued or running. */
  get size(): number {
    return this.pending;
  }
}
