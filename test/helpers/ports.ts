// Free TCP ports for tests that must name a port before the listener exists (a config file, a flag).
//
// A port is drawn at random below the kernel's ephemeral range (32768–60999 on Linux) and checked by
// binding it. The usual "bind 0, read, release" hands out an ephemeral port, and the kernel may give
// that same port to any outgoing connection of a parallel test before our listener takes it; below the
// range only another explicit bind can take it, and each worker draws from its own slice.

const LOW = 10_000;
const HIGH = 32_000;
/** Slices per BUN_TEST_WORKER_ID (bun test --parallel), so two workers never draw the same port. */
const SLICES = 8;

const handedOut = new Set<number>();

function slice(): [number, number] {
  const worker = Number(process.env.BUN_TEST_WORKER_ID ?? 0);
  if (!Number.isInteger(worker) || worker <= 0) return [LOW, HIGH];
  const size = Math.floor((HIGH - LOW) / SLICES);
  const start = LOW + ((worker - 1) % SLICES) * size;
  return [start, start + size];
}

function bindable(port: number): boolean {
  try {
    const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    server.stop(true);
    return true;
  } catch {
    return false; // in use (by another test run on this machine, or a service)
  }
}

/** A loopback TCP port nobody listens on, never the same twice in one test process. */
export function freePort(): number {
  const [start, end] = slice();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = start + Math.floor(Math.random() * (end - start));
    if (handedOut.has(port) || !bindable(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${start}..${end} after 200 tries`);
}
