// The option tables and the spec they are written in: the one place a section's options are defined.

export * from "./spec.ts";
export * as kinds from "./kinds.ts";
export { pythonFloat, pythonRepr, pythonStr } from "./render.ts";
export * from "./circus.ts";
export * from "./watcher.ts";
export * from "./watcher-wire.ts";
export * from "./socket.ts";
export * from "./stream.ts";
export * from "./hook.ts";
export * from "./plugin.ts";
