// The product version, read from package.json at build time so every tool prints the same one.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
