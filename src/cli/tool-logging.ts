// `--log-level` / `--log-output` of the tools the daemon runs as watchers (circusd-stats,
// circushttpd): a level name and `-` (stdout) or a file to append to.

import { openSync } from "node:fs";
import { resolve } from "node:path";
import { parseLogLevel, setLogLevel, setLogSink } from "../log.ts";

/**
 * Apply the flags as cac parsed them; returns what is wrong with them, or null. cac reads a lone
 * `-` (`--log-output -`, how the daemon runs these tools) as `true`: that is stdout too.
 */
export function configureToolLogging(levelFlag: unknown, outputFlag: unknown): string | null {
  const level = String(levelFlag);
  const output = outputFlag === true || outputFlag === undefined ? "-" : String(outputFlag);
  const parsed = parseLogLevel(level);
  if (!parsed) return `unknown log level "${level}"; use critical, error, warning, info or debug`;
  setLogLevel(parsed);
  let writer: ReturnType<typeof Bun.stdout.writer>;
  try {
    writer =
      output === "-" || output === "stdout"
        ? Bun.stdout.writer()
        : Bun.file(openSync(resolve(output), "a", 0o644)).writer();
  } catch (error) {
    return `cannot open --log-output ${output}: ${(error as Error).message}`;
  }
  setLogSink((line) => {
    writer.write(line + "\n");
    writer.flush();
  });
  return null;
}
