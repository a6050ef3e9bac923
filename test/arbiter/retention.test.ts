// Nothing a worker's life leaves behind stays in the daemon: reloads that replace every worker and
// kill storms that make it respawn them leave as many live objects, after a full GC, as the first
// few did (the soak benchmark runs the same for an hour with 1 000 workers; the steps of RssAnon it
// shows after reloads are the heap's high-water mark, not objects kept).

import { describe, expect, test } from "bun:test";
import { grownTypes, type HeapCount } from "../fixtures/retention/heap.ts";
import { runScript } from "../helpers/processes.ts";

describe("a worker's life leaves nothing behind", () => {
  test("reloads and kill storms of 100 captured workers: as many live objects after 8 rounds as after 2", async () => {
    // The watcher runs in a process of its own: this one's heap holds other test files' objects too.
    const { before, after } = await runScript<{ before: HeapCount; after: HeapCount }>(
      "test/fixtures/retention/scenario.ts",
    );
    // One object kept per worker's life would add 900 (6 rounds × 150 lives; a { pid } kept per spawn
    // measured 679). The scenario's own `looks` of the first count add ~26. What grew, when it fails:
    const looks = { before: before.looks, after: after.looks };
    expect({ growth: after.count - before.count < 300, grown: grownTypes(before, after), looks }).toMatchObject({
      growth: true,
    });
  }, 60_000);
});
