// A sleep that can be cut short: warmup_delay pauses end at once when the daemon stops, so a quit
// never waits for a start to finish its pauses.

export class Pause {
  private end: (() => void) | null = null;

  /** Resolve after `ms`, or as soon as cut() is called. */
  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.end?.(), ms);
      this.end = () => {
        clearTimeout(timer);
        this.end = null;
        resolve();
      };
    });
  }

  /** End the pause in progress, if any. */
  cut(): void {
    this.end?.();
  }
}
