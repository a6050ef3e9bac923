// The fds a daemon keeps for itself while spawning: the count is estimated far from the limit and
// counted exactly near it; a spawn that would eat into the reserve fails as a transient EMFILE.

import { describe, expect, test } from "bun:test";
import { isTransientSpawnError } from "../../src/arbiter/exits.ts";
import { FD_RESERVE, FdReserve, FDS_PER_WORKER } from "../../src/arbiter/fd-reserve.ts";

/** A reserve over a fake fd table: `open` fds now, `limit` the soft limit, the clock at `ms`. */
function fake(limit: number, open: number) {
  const state = { open, counts: 0, ms: 0 };
  const reserve = new FdReserve(
    () => {
      state.counts++;
      return state.open;
    },
    () => limit,
    () => state.ms,
  );
  return { state, reserve };
}

describe("the daemon's fd reserve", () => {
  test("spawns stop short of the last fds, with a transient EMFILE that names the limit", () => {
    const { state, reserve } = fake(1000, 100);
    let spawned = 0;
    let failure: unknown = null;
    for (;;) {
      try {
        reserve.take();
      } catch (err) {
        failure = err;
        break;
      }
      state.open += FDS_PER_WORKER; // what the spawn really opened
      spawned++;
    }
    expect(state.open).toBeLessThanOrEqual(1000 - FD_RESERVE);
    expect(state.open + FDS_PER_WORKER).toBeGreaterThan(1000 - FD_RESERVE);
    expect(spawned).toBe(Math.floor((1000 - FD_RESERVE - 100) / FDS_PER_WORKER));
    expect(isTransientSpawnError(failure)).toBe(true);
    expect(String(failure)).toContain("open-files limit (1000)");
  });

  test("far from the limit the table is counted once a second, not at every spawn", () => {
    const { state, reserve } = fake(20_000, 50);
    for (let i = 0; i < 1000; i++) reserve.take();
    expect(state.counts).toBe(1);
    state.ms = 1000;
    reserve.take();
    expect(state.counts).toBe(2);
  });

  test("fds opened outside spawns are seen at the next count, within a second; an exit makes room again", () => {
    const { state, reserve } = fake(1000, 100);
    reserve.take(); // estimate 103
    state.open = 1000 - FD_RESERVE - 1; // connections filled the table meanwhile
    state.ms = 1000;
    expect(() => reserve.take()).toThrow(/EMFILE/); // counted again: refused
    state.open -= FDS_PER_WORKER; // a worker exited
    reserve.release();
    expect(() => reserve.take()).not.toThrow();
  });
});
