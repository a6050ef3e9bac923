// Subcommands whose feature has not landed yet: they say so plainly and exit 2, never pretend to work.

import { VERSION } from "../version.ts";

export function runPending(tool: string, feature: string, argv: string[]): number {
  if (argv.includes("--version") || argv.includes("-v")) {
    process.stdout.write(`${tool} ${VERSION}\n`);
    return 0;
  }
  process.stderr.write(
    `${tool}: ${feature} is not available in circus ${VERSION} yet.\n` +
      `Use \`circus daemon\` and \`circus ctl\` meanwhile; see README.md for what works today.\n`,
  );
  return 2;
}
