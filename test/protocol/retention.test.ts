// Nothing a command or a connection leaves behind stays in the daemon: after thousands of requests and
// connect/close cycles, a full GC finds as many objects as after a few (the issue measured 51 → 93 MB;
// what stayed after that was the JS heap's garbage between collections, not objects still referenced).

import { describe, expect, test } from "bun:test";
import { grownTypes, type HeapCount } from "../fixtures/retention/heap.ts";
import { runScript } from "../helpers/processes.ts";

describe("the control channel retains nothing per request or connection", () => {
  test("3 000 connect cycles and 30 000 commands leave as many live objects as 300 and 3 000", async () => {
    // The server runs in a process of its own: this one's heap holds other test files' objects too.
    const { before, after } = await runScript<{ before: HeapCount; after: HeapCount }>(
      "test/fixtures/retention/control.ts",
    );
    // One object kept per cycle or per command would add thousands. What grew, when it fails:
    expect({ growth: after.count - before.count < 1000, grown: grownTypes(before, after) }).toMatchObject({
      growth: true,
    });
  }, 60_000);
});
