// The product version, read from package.json at build time so every tool prints the same one.
import pkg from "../package.json" with { type: "json" };

// A build tag (`bun scripts/build.ts --version-tag TAG`, e.g. a fleet's build number) is appended as
// semver build metadata: two builds of one release then tell themselves apart (`upgrade` reports both).
declare const CIRCUS_BUILD_TAG: string | undefined;
export const VERSION: string =
  typeof CIRCUS_BUILD_TAG === "string" ? `${pkg.version}+${CIRCUS_BUILD_TAG}` : pkg.version;

/** The Circus release whose configs, wire and tools this one reproduces. */
export const CIRCUS_VERSION = "0.19.0";

/**
 * A `--version` line as Circus's tool prints it (`circusctl 0.19.0`; circusd and circusd-stats print
 * the bare version), followed by ours: scripts reading Circus's version keep working.
 */
export function circusVersionLine(tool: string | null): string {
  return `${tool === null ? "" : `${tool} `}${CIRCUS_VERSION} (circus ${VERSION}, TypeScript)`;
}
