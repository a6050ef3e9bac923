// Nothing a worker's life leaves behind stays in the daemon: reloads that replace every worker and
// kill storms that make it respawn them leave as many live objects, after a full GC, as the first
// few did (the soak benchmark runs the same for an hour with 1 000 workers; the steps of RssAnon it
// shows after reloads are the heap's high-water mark, not objects kept).

import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { tmpdir } from "node:os";
import { WatcherOutput } from "../../src/streams/output.ts";
import { standaloneWatcher, until, wcfg } from "./helpers.ts";

/**
 * Live objects after a full GC, the fewest of looks 100 ms apart, taken until five looks in a row found
 * no fewer (at least five, at most 50): stops and reaps still in flight (timers, promises of the last
 * round) hold closures for a moment and are not retention, and a loaded machine takes longer to settle.
 */
async function objectsAfterGc(): Promise<{ count: number; types: Record<string, number> }> {
  let best = { count: Number.POSITIVE_INFINITY, types: {} as Record<string, number> };
  let sinceFewer = 0;
  for (let i = 0; i < 50 && (i < 5 || sinceFewer < 5); i++) {
    await Bun.sleep(100);
    Bun.gc(true);
    const stats = heapStats();
    if (stats.objectCount < best.count) {
      best = { count: stats.objectCount, types: stats.objectTypeCounts };
      sinceFewer = 0;
    } else sinceFewer++;
  }
  return best;
}

const WORKERS = 100;

describe("a worker's life leaves nothing behind", () => {
  test("reloads and kill storms of 100 captured workers: as many live objects after 8 rounds as after 2", async () => {
    // Captured as the daemon captures: socket pairs read into the watcher's tail.
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "life", cmd: "sleep 300", numprocesses: WORKERS }), {
      openOutput: (cfg, previous) =>
        WatcherOutput.open(cfg, {
          configDir: tmpdir(),
          tailLines: 1000,
          outputPrefix: false,
          tail: previous instanceof WatcherOutput ? previous.tail : undefined,
        }),
    });
    await watcher.openOutput();
    await watcher.start();
    const round = async () => {
      await watcher.reload({ graceful: true });
      await until(() => watcher.pids().length === WORKERS, 10_000, "the reload");
      for (const pid of watcher.pids().slice(0, WORKERS / 2)) process.kill(pid, "SIGKILL");
      await until(
        () => watcher.pids().length === WORKERS && watcher.exitState().restarts % (WORKERS / 2) === 0,
        10_000,
        "the respawns",
      );
      rec.events.length = 0; // the test's own record of events is not the daemon's memory
    };
    for (let i = 0; i < 2; i++) await round();
    const before = await objectsAfterGc();
    for (let i = 0; i < 6; i++) await round();
    const after = await objectsAfterGc();
    // One object kept per worker's life would add 900 (6 rounds × 150 lives). What grew, when it fails:
    const grown = Object.entries(after.types)
      .map(([type, n]) => [type, n - (before.types[type] ?? 0)] as const)
      .filter(([, delta]) => delta > 20);
    expect({ growth: after.count - before.count < 300, grown }).toMatchObject({ growth: true });
    await watcher.stop();
  }, 60_000);
});
