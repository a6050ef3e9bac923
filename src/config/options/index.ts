// The option tables and the spec they are written in: the one place a section's options are defined.
//
// Adding an option is one entry in its section's table: `option(kind, { default, doc, range? })` in
// circus.ts / socket.ts / stream.ts / plugin.ts, or `field(kind, { default, doc, listed?, set, … })`
// in watcher.ts (a new WatcherConfig field, typed from the entry). The readers, defaults, `set`/`add`
// checks, `circus ctl set`, completion, "did you mean" and README's tables (`bun scripts/gen-docs.ts`)
// follow. A new kind of value is one ValueKind in kinds.ts. A plugin declares its options as a table of
// `option(...)` entries and reads its section with readPluginOptions (plugin.ts).

export * from "./spec.ts";
export * as kinds from "./kinds.ts";
export { pythonFloat, pythonRepr, pythonStr } from "./render.ts";
export * from "./circus.ts";
export * from "./watcher.ts";
export * from "./watcher-groups.ts";
export * from "./watcher-wire.ts";
export * from "./socket.ts";
export * from "./stream.ts";
export * from "./hook.ts";
export * from "./plugin.ts";
