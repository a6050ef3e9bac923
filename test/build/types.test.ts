// The package's type declarations (`npm run types`: tsc into dist/types, named by package.json `types`
// and `exports`): a consumer with a stricter tsconfig than ours type-checks its code against them,
// never against our sources.

import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/daemon.ts";

const TSC = join(ROOT, "node_modules/.bin/tsc");
const dir = mkdtempSync(join(tmpdir(), "circus-consumer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STRICT = {
  target: "ES2022",
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noPropertyAccessFromIndexSignature: true,
  noImplicitReturns: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  skipLibCheck: false,
  types: ["bun"],
  noEmit: true,
};

test("slow: a strict consumer type-checks against dist/types, not src", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  expect(pkg.types).toBe("dist/types/index.d.ts");
  expect(pkg.exports["."].types).toBe("./dist/types/index.d.ts");
  const build = Bun.spawnSync([TSC, "-p", join(ROOT, "tsconfig.types.json")], { stdout: "pipe", stderr: "pipe" });
  expect(build.stdout.toString() + build.stderr.toString()).toBe("");

  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules/circus"));
  for (const name of ["@types/bun", "bun-types", "undici-types"])
    symlinkSync(join(ROOT, "node_modules", name), join(dir, "node_modules", name));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, "app.ts"),
    `import { createClient, startCircus, type RunningCircus } from "circus";

export async function run(path: string): Promise<number | undefined> {
  const circus: RunningCircus = await startCircus(path, { log: false });
  const reply = await circus.client.incr("web", 2, { waiting: true });
  const statuses: Record<string, string> | undefined = (await circus.client.status()).statuses;
  await circus.stop();
  return statuses === undefined ? undefined : reply.numprocesses;
}

export const remote = createClient({ endpoint: "ipc:///run/circus/control.sock" });
`,
  );
  // Our declarations are checked under the strict flags once (skipLibCheck off, which also checks all
  // of bun-types: most of the time of a run); the second resolution only has to find them and type the app.
  for (const [resolution, module, skipLibCheck] of [
    ["NodeNext", "NodeNext", false],
    ["bundler", "ESNext", true],
  ] as const) {
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { ...STRICT, module, moduleResolution: resolution, skipLibCheck },
        files: ["app.ts"],
      }),
    );
    const check = Bun.spawnSync([TSC, "-p", dir, "--listFiles"], { stdout: "pipe", stderr: "pipe" });
    const out = check.stdout.toString();
    const errors = out.split("\n").filter((l) => !l.startsWith("/"));
    expect({ resolution, errors: errors.join("\n").trim(), code: check.exitCode }).toEqual({
      resolution,
      errors: "",
      code: 0,
    });
    const files = out.split("\n").filter((l) => l.startsWith(ROOT));
    expect(files.some((f) => f.startsWith(join(ROOT, "dist/types/")))).toBe(true);
    expect(files.filter((f) => f.startsWith(join(ROOT, "src/")))).toEqual([]);
  }
  // About 10 s of CPU (three tsc runs); sharing two cores with the rest of the suite and other jobs it
  // has taken over 120 s.
}, 300_000);
