// Import rules of src/, checked on the static imports of every file (`bun scripts/check-imports.ts`).
// Type-only imports (`import type`, `export type`, `import { type X }` alone) are erased by Bun, so they
// never load a module: the daemon rule ignores them, the layer rules count them (a layer that names
// another's types knows it). Dynamic `await import()` and `import.meta.require()` are not static imports.
//
// The daemon rule: a static node:* import anywhere in the daemon's static-import closure is hoisted to
// the top of the compiled binary and costs megabytes of RSS in every daemon (BENCHMARKS.md, Memory), so
// the daemon uses src/util/path.ts, src/os and lazy `await import("node:…")` instead.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

export interface ImportRule {
  id: string;
  /** Printed after the dash in every violation. */
  text: string;
  /** Files the rule is about: paths or folder prefixes (ending in "/") relative to the repository. */
  files: string[];
  except?: string[];
  /** Imports that break the rule: src paths or folder prefixes, or module names (`node:` covers all builtins). */
  forbid?: string[];
  /** Or: the only src paths or folder prefixes these files may import. */
  onlySrc?: string[];
  /** Check the static-import closure of `files` (runtime imports only) rather than the files themselves. */
  closure?: boolean;
}

/** The rules, one line each; the layers are the brief's (src/util, src/os, src/zmtp know nothing of Circus, …). */
export const RULES: ImportRule[] = [
  {
    id: "daemon-node",
    text: "no static node:* import reachable from the daemon's entry (use src/util/path.ts, src/os or a lazy await import())",
    files: ["src/main.ts", "src/cli/daemon.ts"],
    forbid: ["node:"],
    closure: true,
  },
  {
    id: "ffi",
    text: "bun:ffi is imported only under src/os",
    files: ["src/"],
    except: ["src/os/"],
    forbid: ["bun:ffi"],
  },
  { id: "util-layer", text: "src/util imports nothing else of src", files: ["src/util/"], onlySrc: ["src/util/"] },
  {
    id: "os-layer",
    text: "src/os imports only src/util",
    files: ["src/os/"],
    onlySrc: ["src/util/", "src/os/"],
  },
  {
    id: "zmtp-layer",
    text: "src/zmtp imports only src/util",
    files: ["src/zmtp/"],
    onlySrc: ["src/util/", "src/zmtp/"],
  },
  {
    id: "config-layer",
    text: "src/config is data: it imports no arbiter, protocol, streams, stats, cli, plugins or web",
    files: ["src/config/"],
    forbid: ["src/arbiter/", "src/protocol/", "src/streams/", "src/stats/", "src/cli/", "src/plugins/", "src/web/"],
  },
  {
    id: "arbiter-layer",
    text: "src/arbiter knows no wire and no CLI: it imports no protocol, zmtp, cli, web or plugins",
    files: ["src/arbiter/"],
    forbid: ["src/protocol/", "src/zmtp/", "src/cli/", "src/web/", "src/plugins/"],
  },
  {
    id: "protocol-layer",
    text: "src/protocol imports no cli, web or plugins",
    files: ["src/protocol/"],
    forbid: ["src/cli/", "src/web/", "src/plugins/"],
  },
  {
    id: "web-layer",
    text: "src/web reaches a daemon through the control client only: it imports no arbiter, plugins or cli",
    files: ["src/web/"],
    forbid: ["src/arbiter/", "src/plugins/", "src/cli/"],
  },
  {
    id: "cli-on-top",
    text: "only src/main.ts and src/cli itself import src/cli",
    files: ["src/"],
    except: ["src/main.ts", "src/cli/"],
    forbid: ["src/cli/"],
  },
];

export interface KnownLeak {
  file: string;
  imports: string;
  rule: string;
  /** One line: why it is there and who removes it. */
  reason: string;
}

/** Violations that exist today; each is a warning until fixed, then must leave this list. */
export const KNOWN_LEAKS: KnownLeak[] = [];

export interface ImportEdge {
  /** The importing file, relative to the repository. */
  file: string;
  specifier: string;
  /** A repository-relative path for src files, `node:x` for builtins, else the specifier (packages, bun:*). */
  target: string;
  /** False for imports that only bring types (erased at run time). */
  runtime: boolean;
}

/** Static imports and re-exports of one file, from its syntax tree. */
export function staticImports(text: string, fileName = "file.ts"): { specifier: string; runtime: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: { specifier: string; runtime: boolean }[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      let runtime = true;
      if (clause?.phaseModifier === ts.SyntaxKind.TypeKeyword) runtime = false;
      else if (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
        const specifiers = clause.namedBindings.elements;
        runtime = specifiers.length === 0 || specifiers.some((s) => !s.isTypeOnly);
      }
      found.push({ specifier: statement.moduleSpecifier.text, runtime });
    } else if (
      ts.isExportDeclaration(statement) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      let runtime = !statement.isTypeOnly;
      const clause = statement.exportClause;
      if (runtime && clause && ts.isNamedExports(clause) && clause.elements.length > 0) {
        runtime = clause.elements.some((s) => !s.isTypeOnly);
      }
      found.push({ specifier: statement.moduleSpecifier.text, runtime });
    }
  }
  return found;
}

function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) out.push(...listSources(root, path));
    else if (/\.(ts|tsx|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function resolveTarget(root: string, file: string, specifier: string): string | null {
  if (specifier.startsWith("node:")) return specifier;
  if (!specifier.startsWith(".") && !specifier.startsWith("/"))
    return !specifier.includes(":") && isBuiltin(specifier) ? `node:${specifier}` : specifier;
  const base = resolve(root, dirname(file), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return null;
}

const matches = (path: string, patterns: string[]) =>
  patterns.some((p) => (p.endsWith("/") || p.endsWith(":") ? path.startsWith(p) : path === p));

export interface Finding {
  file: string;
  imports: string;
  rule: string;
  line: string;
}

export interface CheckResult {
  files: number;
  failures: string[];
  warnings: string[];
}

/** Check every file under `root`/src against `rules`, sorting violations into failures and known leaks. */
export function checkImports(root: string, rules = RULES, knownLeaks = KNOWN_LEAKS): CheckResult {
  const failures: string[] = [];
  const files = listSources(root, "src");
  const edges = new Map<string, ImportEdge[]>();
  for (const file of files) {
    const list: ImportEdge[] = [];
    for (const { specifier, runtime } of staticImports(readFileSync(join(root, file), "utf8"), file)) {
      const target = resolveTarget(root, file, specifier);
      if (target === null) failures.push(`${file}: imports ${specifier} — which does not resolve to a file`);
      else list.push({ file, specifier, target, runtime });
    }
    edges.set(file, list);
  }

  const findings: Finding[] = [];
  const add = (edge: ImportEdge, rule: ImportRule, note = "") =>
    findings.push({
      file: edge.file,
      imports: edge.target,
      rule: rule.id,
      line: `${edge.file}: imports ${edge.target} — ${rule.text}${note}`,
    });
  const breaks = (rule: ImportRule, target: string) =>
    (rule.forbid !== undefined && matches(target, rule.forbid)) ||
    (rule.onlySrc !== undefined && target.startsWith("src/") && !matches(target, rule.onlySrc));

  for (const rule of rules) {
    if (rule.closure) {
      // Breadth-first over runtime imports, remembering how each file was reached for the message.
      const via = new Map<string, string | null>();
      const queue = files.filter((f) => matches(f, rule.files));
      for (const f of queue) via.set(f, null);
      for (let i = 0; i < queue.length; i++) {
        const file = queue[i]!;
        for (const edge of edges.get(file) ?? []) {
          if (!edge.runtime) continue;
          if (breaks(rule, edge.target)) {
            const chain = [file];
            for (let up = via.get(file); up; up = via.get(up)) chain.unshift(up);
            add(edge, rule, chain.length > 1 ? ` (reached by ${chain.join(" → ")})` : "");
          } else if (edges.has(edge.target) && !via.has(edge.target)) {
            via.set(edge.target, file);
            queue.push(edge.target);
          }
        }
      }
      continue;
    }
    for (const file of files) {
      if (!matches(file, rule.files) || matches(file, rule.except ?? [])) continue;
      for (const edge of edges.get(file) ?? []) if (breaks(rule, edge.target)) add(edge, rule);
    }
  }

  const warnings: string[] = [];
  const key = (x: { file: string; imports: string; rule: string }) => `${x.file}\0${x.imports}\0${x.rule}`;
  const known = new Map(knownLeaks.map((leak) => [key(leak), leak]));
  const seen = new Set<string>();
  for (const finding of findings) {
    const leak = known.get(key(finding));
    if (leak) warnings.push(`${finding.line} [known leak: ${leak.reason}]`);
    else failures.push(finding.line);
    seen.add(key(finding));
  }
  for (const leak of knownLeaks) {
    if (!seen.has(key(leak))) {
      failures.push(
        `${leak.file}: no longer imports ${leak.imports} against rule ${leak.rule} — remove it from KNOWN_LEAKS`,
      );
    }
  }
  return { files: files.length, failures, warnings };
}

if (import.meta.main) {
  const root = resolve(import.meta.dir, "..");
  const { files, failures, warnings } = checkImports(root);
  for (const w of warnings) console.log(`warning: ${w}`);
  for (const f of failures) console.log(f);
  if (failures.length > 0) console.log("the layers and their rules: docs/architecture.md");
  console.log(
    `check-imports: ${files} files, ${failures.length} violation(s), ${warnings.length} known leak(s) in KNOWN_LEAKS`,
  );
  process.exit(failures.length > 0 ? 1 : 0);
}
