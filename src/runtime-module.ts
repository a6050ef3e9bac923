// Makes `import … from "circus"` work in modules the binary loads at run time (user plugins, hooks):
// the compiled binary has no node_modules, so its own public API is registered under that name.

let registered = false;

/** Register the virtual module "circus" (the exports of src/index.ts, loaded on first import). Idempotent. */
export function registerCircusModule(): void {
  if (registered) return;
  registered = true;
  Bun.plugin({
    name: "circus-public-api",
    setup(build) {
      build.module("circus", async () => ({ exports: { ...(await import("./index.ts")) }, loader: "object" }));
    },
  });
}
