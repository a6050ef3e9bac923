// The option tables of the docs, generated from the option tables (src/config/options) and the built-in
// plugins' tables (src/plugins/builtins, with the Prometheus metrics) between marker comments
// `<!-- options:<section>:start -->` … `<!-- options:<section>:end -->`: the config reference
// (docs/config.md) and README's built-in plugins. `bun scripts/gen-docs.ts` rewrites them; `--check`
// exits 1 when one is out of date.

import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CIRCUS_INERT, CIRCUS_OPTIONS } from "../src/config/options/circus.ts";
import { HOOK_NAMES, HOOKS } from "../src/config/options/hook.ts";
import { PLUGIN_OPTIONS } from "../src/config/options/plugin.ts";
import { READY_OPTIONS } from "../src/config/options/ready.ts";
import { SOCKET_INERT, SOCKET_OPTIONS } from "../src/config/options/socket.ts";
import type { OptionSpec } from "../src/config/options/spec.ts";
import { STREAM_CLASS_NAMES, STREAM_CLASSES, STREAM_OPTIONS } from "../src/config/options/stream.ts";
import { type SetEffect, WATCHER_OPTIONS } from "../src/config/options/watcher.ts";
import { WATCHER_GROUPS } from "../src/config/options/watcher-groups.ts";
import { METRICS } from "../src/plugins/builtins/prometheus-metrics.ts";
import type { MetricFamily } from "../src/plugins/exposition.ts";
import { BUILTINS } from "../src/plugins/registry.ts";
import { optionTableOf } from "../src/plugins/runner.ts";

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${text}\``;

/** A default as a reader writes it in a config file. */
function shownDefault(spec: OptionSpec<unknown>): string {
  if (spec.docDefault !== undefined) return spec.docDefault;
  if (spec.required) return "required";
  const value = spec.default;
  if (value === null || (Array.isArray(value) && value.length === 0)) return "—";
  if (spec.kind.toText) return code(spec.kind.toText(value));
  if (typeof value === "object") return Object.keys(value).length === 0 ? "—" : code(JSON.stringify(value));
  if (value === "") return code('""');
  return code(String(value));
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** One row per option: its name (and aliases), value kind, default and doc. */
function optionRows(options: Readonly<Record<string, OptionSpec<unknown>>>): string[][] {
  return Object.entries(options).map(([key, spec]) => [
    [key, ...(spec.aliases ?? [])].map(code).join(" / "),
    spec.kind.name,
    shownDefault(spec),
    spec.doc,
  ]);
}

const optionTable = (options: Readonly<Record<string, OptionSpec<unknown>>>) =>
  table(["key", "value", "default", "meaning"], optionRows(options));

const SET_WORDS: Record<SetEffect, string> = {
  manage: "applied",
  reload: "applied, reload",
  ignore: "ignored",
  no: "—",
};

function watcherDocs(): string {
  const rows: string[][] = [];
  const pythonOnly: string[] = [];
  const tuning: string[] = [];
  for (const [key, spec] of Object.entries(WATCHER_OPTIONS)) {
    if (spec.tuning) tuning.push(code(key));
    if (!spec.field && typeof spec.inFile === "object" && spec.inFile.pythonOnly) {
      pythonOnly.push(code(key));
      continue;
    }
    const where = spec.field ? "" : " (not read from files)";
    const listed = spec.listed !== undefined ? "✓" : "";
    rows.push([code(key), spec.kind.name, shownDefault(spec), listed, SET_WORDS[spec.set], spec.doc + where]);
  }
  for (const group of WATCHER_GROUPS)
    rows.push([code(group.pattern), group.value, "—", "", SET_WORDS[group.set], group.doc]);
  return [
    table(["key", "value", "default", "`options`", "`set`", "meaning"], rows),
    "",
    "`options` lists the ✓ keys and the free options sorted by name, as Circus does; `get` reads the same keys.",
    "`set`: *applied* keys change at once, *reload* ones reload the watcher gracefully, *ignored* ones are",
    "checked and dropped (Circus uses them in `add` only), *—* ones are unknown keys for `set` and `add`.",
    `Python-only keys, accepted from files with a warning: ${pythonOnly.join(", ")}.`,
    `In the web console an \`operate\` user may \`set\` ${tuning.join(", ")}; any other key needs \`admin\`.`,
  ].join("\n");
}

function streamDocs(): string {
  const readers = (key: string) =>
    STREAM_CLASS_NAMES.filter((c) => (STREAM_CLASSES[c].options as readonly string[]).includes(key)).join(", ");
  const options = Object.entries(STREAM_OPTIONS).map(([key, spec]) => [
    code(`stdout_stream.${key}`),
    spec.kind.name,
    shownDefault(spec as OptionSpec<unknown>),
    key === "class" ? "all" : readers(key),
    spec.doc,
  ]);
  const classes = STREAM_CLASS_NAMES.map((c) => [code(c), STREAM_CLASSES[c].doc]);
  return [
    table(["key (also `stderr_stream.`)", "value", "default", "read by", "meaning"], options),
    "",
    table(["class", "what it does"], classes),
  ].join("\n");
}

function hookDocs(): string {
  const rows = HOOK_NAMES.map((name) => [code(name), HOOKS[name].ignoredByDefault ? "yes" : "no", HOOKS[name].doc]);
  return table(["hook", "failure ignored by default", "when, and what a false result does"], rows);
}

function inert(map: ReadonlyMap<string, string>): string {
  return `Accepted with a warning and ignored: ${[...map.keys()].map(code).join(", ")}.`;
}

/** Each built-in plugin: its names, what it does and its option table (`active` included); then the metrics. */
async function pluginsDocs(): Promise<string> {
  const out: string[] = [];
  for (const b of BUILTINS) {
    const cls = await b.load();
    const title = b.circus[0]?.split(".").pop() ?? b.name[0]!.toUpperCase() + b.name.slice(1);
    const names = [...b.circus, b.name].map(code).join(", ");
    out.push(`#### ${title}`, "", `\`use =\` ${names}`, "", b.summary, "", optionTable(optionTableOf(cls)), "");
  }
  const metrics = (Object.values(METRICS) as MetricFamily[]).map((m) => [
    code(m.name),
    m.type,
    (m.labels ?? []).join(", "),
    m.help,
  ]);
  out.push("#### Prometheus metrics", "", table(["metric", "type", "labels", "meaning"], metrics));
  return out.join("\n");
}

/** Every generated block, by section name (the built-in plugins are loaded for theirs). */
export async function optionDocs(): Promise<Record<string, string>> {
  return {
    circus: [optionTable(CIRCUS_OPTIONS), "", inert(CIRCUS_INERT)].join("\n"),
    watcher: watcherDocs(),
    socket: [optionTable(SOCKET_OPTIONS), "", inert(SOCKET_INERT)].join("\n"),
    stream: streamDocs(),
    ready: table(
      ["key", "value", "default", "meaning"],
      optionRows(READY_OPTIONS).map(([key, ...rest]) => [key!.replace(/^`/, "`ready."), ...rest]),
    ),
    hook: hookDocs(),
    plugin: optionTable(PLUGIN_OPTIONS),
    plugins: await pluginsDocs(),
  };
}

/** `text` with every marked block of `docs` replaced by its generated text; throws when a section's markers are missing. */
export function withOptionDocs(text: string, docs: Record<string, string>): string {
  let out = text;
  for (const [section, body] of Object.entries(docs)) {
    const start = `<!-- options:${section}:start -->`;
    const end = `<!-- options:${section}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`no ${start} … ${end} block`);
    out = `${out.slice(0, from + start.length)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

const ROOT = resolve(import.meta.dir, "..");
export const README = resolve(ROOT, "README.md");

/** Each generated file and the sections whose tables it holds. */
export const DOC_FILES: Readonly<Record<string, readonly string[]>> = {
  "docs/config.md": ["circus", "watcher", "socket", "stream", "ready", "hook", "plugin"],
  "README.md": ["plugins"],
};

/** Every generated file (path relative to the repository) with its text as it should be. */
export async function generatedDocs(): Promise<{ file: string; current: string; next: string }[]> {
  const docs = await optionDocs();
  return Object.entries(DOC_FILES).map(([file, sections]) => {
    const current = readFileSync(resolve(ROOT, file), "utf8");
    const mine = Object.fromEntries(sections.map((s) => [s, docs[s]!]));
    return { file, current, next: withOptionDocs(current, mine) };
  });
}

if (import.meta.main) {
  let stale = false;
  for (const { file, current, next } of await generatedDocs()) {
    if (next === current) {
      console.log(`${file}: option tables are up to date`);
    } else if (process.argv.includes("--check")) {
      console.error(`${file}: option tables are out of date; run \`bun scripts/gen-docs.ts\``);
      stale = true;
    } else {
      writeFileSync(resolve(ROOT, file), next);
      console.log(`${file}: option tables updated`);
    }
  }
  if (stale) process.exit(1);
}
