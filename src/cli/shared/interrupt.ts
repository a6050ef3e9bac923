// The client tools (ctl logs -f, listen, top, stats) run until a signal or a key tells them to stop:
// one AbortSignal for "stop now", instead of a promise and resolver pair written out in each tool.

export interface Interrupt {
  /** Aborted by the first of the signals (or by `stop()`). */
  readonly signal: AbortSignal;
  /** Stop as a signal would (e.g. top's `q` key). */
  stop(): void;
  /** Remove the signal handlers (the default action of those signals comes back). */
  off(): void;
}

/** Handle `signals` by aborting one AbortSignal; `onSignal` hears which signal it was (for a log line). */
export function interruptOn(signals: readonly NodeJS.Signals[], onSignal?: (name: NodeJS.Signals) => void): Interrupt {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    onSignal?.(name);
    controller.abort();
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    stop: () => controller.abort(),
    off: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
