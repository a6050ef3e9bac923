// How to run this program again: the compiled binary itself, or `bun <main.ts>` during development.

/** The argv prefix that re-runs circus (before the subcommand). */
export function selfCommand(): string[] {
  // A compiled binary's entry lives in Bun's embedded filesystem.
  if (Bun.main.startsWith("/$bunfs/")) return [process.execPath];
  return [process.execPath, Bun.main];
}
