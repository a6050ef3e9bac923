// node:* modules loaded on first call, for synchronous code off the idle daemon's path (stats
// sampling, unix-socket cleanup, file streams). A static `import … from "node:fs"` is hoisted to the
// top of the compiled bundle and costs ~4.5 MB RSS even in a daemon that never uses it.

/** node:fs, loaded when first needed. */
export function nodeFs(): typeof import("node:fs") {
  return import.meta.require("node:fs") as typeof import("node:fs");
}

/** node:os, loaded when first needed. */
export function nodeOs(): typeof import("node:os") {
  return import.meta.require("node:os") as typeof import("node:os");
}
