// Python as the reference implementation: run one Python expression over a table of inputs in a single
// `/usr/bin/python3` process and return its results (or the exception each input raised), so a port of
// shlex or fnmatch is compared with the real thing rather than with expectations typed by hand.

import { PYTHON } from "./peers.ts";

/** What Python gave for one input: a JSON value, or the exception's class and message. */
export type PythonOutcome = { ok: unknown } | { error: string; message: string };

const DRIVER = `
import json, sys
${"{IMPORTS}"}
def run(args):
    try:
        return {"ok": (${"{EXPR}"})}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e)}
print(json.dumps([run(args) for args in json.load(sys.stdin)]))
`;

/**
 * Evaluate `expression` (which sees the tuple `args`) for each entry of `inputs`; `imports` is Python source
 * run first. One process for the whole table.
 */
export function pythonEach(imports: string, expression: string, inputs: readonly unknown[][]): PythonOutcome[] {
  const script = DRIVER.replace("{IMPORTS}", imports).replace("{EXPR}", expression);
  const proc = Bun.spawnSync([PYTHON, "-c", script], { stdin: Buffer.from(JSON.stringify(inputs)) });
  if (proc.exitCode !== 0) throw new Error(`python3 failed: ${proc.stderr.toString()}`);
  return JSON.parse(proc.stdout.toString()) as PythonOutcome[];
}

/**
 * The outcome of a TypeScript port on one input, in the shape of `pythonEach`'s: an `errorClass` thrown
 * counts as the Python exception `pythonName`; anything else thrown is a bug and propagates.
 */
export function outcomeOf(
  run: () => unknown,
  errorClass: abstract new (...args: never[]) => Error,
  pythonName: string,
): PythonOutcome {
  try {
    return { ok: run() };
  } catch (err) {
    if (!(err instanceof errorClass)) throw err;
    return { error: pythonName, message: err.message };
  }
}

/** Deterministic pseudo-random strings over `alphabet` (xorshift32), for broad comparisons. */
export function randomStrings(alphabet: readonly string[], count: number, maxLength: number, seed = 9): string[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let s = "";
    const length = next() % (maxLength + 1);
    for (let i = 0; i < length; i++) s += alphabet[next() % alphabet.length];
    out.push(s);
  }
  return out;
}
