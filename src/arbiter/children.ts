// Every pid this daemon spawned through Bun (workers and command hooks). Bun must collect their exit
// status itself, so orphan reaping (as PID 1 or subreaper) has to leave exactly these alone.

const own = new Set<number>();

/** Register a Bun child until `exited` settles. */
export function trackChild(pid: number, exited: Promise<unknown>): void {
  own.add(pid);
  const forget = () => {
    own.delete(pid);
  };
  exited.then(forget, forget);
}

/** Snapshot of the pids Bun still has to reap. */
export function ownChildren(): Set<number> {
  return new Set(own);
}
