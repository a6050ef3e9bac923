import { describe, expect, test } from "bun:test";
import { Diagnostics } from "../../src/config/raw.ts";
import { indexTomlLines, parseToml } from "../../src/config/toml.ts";
import { formatProblem } from "../../src/config/types.ts";

const SAMPLE = `[circus]
endpoint = "tcp://127.0.0.1:5555"

[watcher.web]
cmd = "node app.js"
args = ["--port", 8080]
numprocesses = 3
stdout_stream = { class = "FileStream", filename = "x.log" }
hooks.before_start = "./h.ts:check"

[watcher.api.hooks]
after_start = ["./h.ts:done", true]

[socket.Web]
port = 8080

[env]
A = "1"

[env."web,api"]
B = "2"
`;

describe("TOML reader", () => {
  const diag = new Diagnostics();
  const doc = parseToml(SAMPLE, "c.toml", diag);

  test("tables map onto ini-style section names", () => {
    expect(diag.problems).toEqual([]);
    expect([...doc.sections.keys()]).toEqual([
      "circus",
      "watcher:web",
      "watcher:api",
      "socket:Web",
      "env:web,api",
      "env",
    ]);
  });

  test("values keep their TOML types and arrays stay arrays", () => {
    const web = doc.sections.get("watcher:web")!.entries;
    expect(web.get("numprocesses")!.value).toBe(3);
    expect(web.get("args")!.value).toEqual(["--port", 8080]);
    expect(web.get("cmd")!.format).toBe("toml");
  });

  test("inline tables, dotted keys and sub-tables become dotted option names", () => {
    const web = doc.sections.get("watcher:web")!.entries;
    expect(web.get("stdout_stream.class")!.value).toBe("FileStream");
    expect(web.get("stdout_stream.filename")!.value).toBe("x.log");
    expect(web.get("hooks.before_start")!.value).toBe("./h.ts:check");
    const api = doc.sections.get("watcher:api")!.entries;
    expect(api.get("hooks.after_start")!.value).toEqual(["./h.ts:done", true]);
  });

  test("keys and tables carry the line they are written on", () => {
    const web = doc.sections.get("watcher:web")!;
    expect(web.location.line).toBe(4);
    expect(web.entries.get("numprocesses")!.location).toEqual({ file: "c.toml", line: 7 });
    expect(web.entries.get("stdout_stream.filename")!.location.line).toBe(8);
    expect(web.entries.get("hooks.before_start")!.location.line).toBe(9);
    expect(doc.sections.get("watcher:api")!.entries.get("hooks.after_start")!.location.line).toBe(12);
    expect(doc.sections.get("env:web,api")!.entries.get("B")!.location.line).toBe(21);
  });

  test("a table known only through its sub-tables is located at the first of them", () => {
    expect(doc.sections.get("watcher:api")!.location.line).toBe(11);
  });

  test("sections are labelled the way TOML writes them", () => {
    expect(doc.sections.get("watcher:web")!.label).toBe("watcher.web");
  });

  test("invalid TOML is a problem at the line the parser reports", () => {
    const d = new Diagnostics();
    parseToml('[circus]\nendpoint = "a"\nbroken = \n', "bad.toml", d);
    expect(d.problems.length).toBe(1);
    expect(formatProblem(d.problems[0]!)).toStartWith("bad.toml:3: (toml): ");
  });

  test("a top-level value outside any table is a problem", () => {
    const d = new Diagnostics();
    parseToml('cmd = "x"\n', "c.toml", d);
    expect(d.problems.map((p) => p.message)).toEqual([
      "top-level key outside any table, expected it inside a table such as [circus]",
    ]);
  });

  test("the line index understands quoted keys and spaces around dots", () => {
    const index = indexTomlLines('[ watcher . "my app" ]\n"quoted.key" = 1\n');
    expect(index.get(["watcher", "my app"].join("\u0000"))).toBe(1);
    expect(index.get(["watcher", "my app", "quoted.key"].join("\u0000"))).toBe(2);
  });
});
