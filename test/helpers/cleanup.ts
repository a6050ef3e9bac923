// What a test leaves behind (processes, temp dirs, sockets) is undone by cleanups registered here: one
// registered while a test runs (its beforeEach included) runs right after that test, one registered
// outside a test (module top level, beforeAll) after the test file. test/helpers/setup.ts, preloaded
// for every test file through bunfig.toml, runs them from global afterEach/afterAll hooks, which come
// after the file's own hooks: a file's afterEach may still stop a daemon gracefully first.

type Cleanup = () => void | Promise<void>;

const testCleanups: Cleanup[] = [];
const fileCleanups: Cleanup[] = [];
let inTest = false;

/** Run `fn` after the current test, or after the test file when no test is running. */
export function defer(fn: Cleanup): void {
  (inTest ? testCleanups : fileCleanups).push(fn);
}

/** Whether a test (or its beforeEach/afterEach) is running now. */
export function testRunning(): boolean {
  return inTest;
}

/** Newest first, each to its end: one failing cleanup does not keep the others from running. */
async function runAll(list: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of list.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup(s) failed`);
}

/** For setup.ts: a test starts. */
export function enterTest(): void {
  inTest = true;
}

/** For setup.ts: the test ended; undo what it left. */
export async function leaveTest(): Promise<void> {
  try {
    await runAll(testCleanups);
  } finally {
    inTest = false;
  }
}

/** For setup.ts: the file ended (under `bun test` without --isolate: the whole run). */
export function leaveFile(): Promise<void> {
  return runAll(fileCleanups);
}
