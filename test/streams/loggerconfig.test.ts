// Python logging.config files (YAML, JSON dictConfig, INI fileConfig) read into the daemon's log: what
// maps (handlers, levels, propagation, formatters) and what is refused, naming it.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  handlersFor,
  isPythonLoggingConfig,
  lowestLevel,
  openPythonLogging,
  readPythonLoggingConfig,
  recordFormat,
} from "../../src/streams/loggerconfig.ts";
import { getLogger, setLogLevel, setLogSink } from "../../src/util/log.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-loggerconfig-"));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const fail = (message: string): never => {
  throw new Error(message);
};

/** Log through the daemon's loggers into `output`, then restore the default sink. */
async function logThrough(path: string, cwd: string, work: () => void) {
  const python = await openPythonLogging(path, cwd);
  const previous = setLogSink(python.output);
  setLogLevel(python.level);
  try {
    work();
  } finally {
    setLogSink(previous);
    setLogLevel("info");
    await python.output.close();
  }
  return python;
}

const DOCS_YAML = `version: 1
disable_existing_loggers: false
formatters:
  simple:
    format: '%(asctime)s - %(name)s - [%(levelname)s] %(message)s'
handlers:
  logfile:
    class: logging.FileHandler
    filename: logoutput.txt
    level: DEBUG
    formatter: simple
loggers:
  circus:
    level: DEBUG
    handlers: [logfile]
    propagate: no
root:
  level: DEBUG
  handlers: [logfile]
`;

describe("reading logging.config files", () => {
  test("the YAML example of Circus's docs: a file handler, a formatter, `propagate: no` read as YAML 1.1", async () => {
    const routing = await readPythonLoggingConfig(write("logging.yaml", DOCS_YAML));
    expect(routing.loggers.get("circus")).toEqual({ level: 10, handlers: ["logfile"], propagate: false });
    expect(routing.root).toMatchObject({ level: 10, handlers: ["logfile"] });
    expect(routing.handlers.get("logfile")).toMatchObject({ output: "logoutput.txt", level: 10, maxBytes: 0 });
    expect(handlersFor(routing, "circus.watcher", 10).map((h) => h.name)).toEqual(["logfile"]);
  });

  test("the same setup as fileConfig INI, with args tuples and sys.stdout", async () => {
    const routing = await readPythonLoggingConfig(
      write(
        "logging.ini",
        `[loggers]
keys=root,circus

[handlers]
keys=file,console

[formatters]
keys=simple

[logger_root]
level=WARNING
handlers=console

[logger_circus]
level=DEBUG
handlers=file
propagate=1
qualname=circus

[handler_file]
class=handlers.RotatingFileHandler
level=INFO
formatter=simple
args=('circus.log', 'a', 1000000, 3)

[handler_console]
class=StreamHandler
args=(sys.stdout,)

[formatter_simple]
format=%(levelname)-8s %(name)s: %(message)s
`,
      ),
    );
    expect(routing.handlers.get("file")).toMatchObject({
      output: "circus.log",
      level: 20,
      maxBytes: 1000000,
      backupCount: 3,
    });
    expect(routing.handlers.get("console")).toMatchObject({ output: "-", level: 0 });
    // circus.* at INFO reaches both (propagate=1); DEBUG passes the logger but not the file handler.
    expect(handlersFor(routing, "circus.arbiter", 20).map((h) => h.name)).toEqual(["file", "console"]);
    expect(handlersFor(routing, "circus.arbiter", 10).map((h) => h.name)).toEqual(["console"]);
    // Another logger gets root's WARNING.
    expect(handlersFor(routing, "other", 20)).toEqual([]);
    expect(lowestLevel(routing)).toBe(10);
  });

  test("SysLogHandler maps to a syslog:// output, by address and facility, in both forms", async () => {
    const dict = await readPythonLoggingConfig(
      write(
        "s.yaml",
        "version: 1\nhandlers:\n  sys:\n    class: logging.handlers.SysLogHandler\n    address: [logs.example, 5514]\n    facility: local3\n  dev:\n    class: logging.handlers.SysLogHandler\n    address: /dev/log\nroot:\n  handlers: [sys, dev]\n",
      ),
    );
    expect(dict.handlers.get("sys")!.output).toBe("syslog://logs.example:5514?local3");
    expect(dict.handlers.get("dev")!.output).toBe("syslog:///dev/log?user");
    const ini = await readPythonLoggingConfig(
      write(
        "s.ini",
        "[loggers]\nkeys=root\n[handlers]\nkeys=sys\n[formatters]\nkeys=\n[logger_root]\nhandlers=sys\n[handler_sys]\nclass=handlers.SysLogHandler\nargs=(('127.0.0.1', 514), handlers.SysLogHandler.LOG_DAEMON)\n",
      ),
    );
    expect(ini.handlers.get("sys")!.output).toBe("syslog://127.0.0.1:514?daemon");
  });

  test("a JSON file is a dictConfig when it has `version`, else ours", async () => {
    expect(await isPythonLoggingConfig(write("a.json", JSON.stringify({ version: 1, root: { level: "INFO" } })))).toBe(
      true,
    );
    expect(await isPythonLoggingConfig(write("b.json", JSON.stringify({ level: "info" })))).toBe(false);
    expect(await isPythonLoggingConfig("/x/logging.yaml")).toBe(true);
    expect(await isPythonLoggingConfig("/x/logging.ini")).toBe(true);
  });

  test("what cannot map is refused, naming it", async () => {
    const refused = async (name: string, text: string) =>
      readPythonLoggingConfig(write(name, text)).then(
        () => "",
        (err: Error) => err.message,
      );
    const yaml = (handler: string) => `version: 1\nhandlers:\n  h:\n${handler}\nroot:\n  handlers: [h]\n`;
    expect(await refused("a.yaml", yaml("    class: logging.handlers.SMTPHandler\n    mailhost: x"))).toContain(
      "handlers.h: class logging.handlers.SMTPHandler cannot map",
    );
    expect(
      await refused("b.yaml", yaml("    class: logging.handlers.TimedRotatingFileHandler\n    filename: x")),
    ).toContain("TimedRotatingFileHandler cannot map");
    expect(await refused("c.yaml", yaml("    class: logging.FileHandler\n    filename: x\n    mode: w"))).toContain(
      'mode "w" cannot map',
    );
    expect(await refused("d.yaml", "version: 1\nformatters:\n  f:\n    format: '%(lineno)d %(message)s'\n")).toContain(
      "%(lineno) cannot map",
    );
    expect(await refused("e.yaml", "version: 1\nfilters:\n  only:\n    name: circus\n")).toContain(
      "filters cannot map",
    );
    expect(await refused("f.yaml", "version: 2\n")).toContain("version: 1");
    expect(await refused("g.yaml", yaml("    class: logging.StreamHandler\n    stream: ext://my.stream"))).toContain(
      'stream "ext://my.stream" cannot map',
    );
    expect(await refused("h.ini", "[loggers]\nkeys=root\n[logger_root]\nhandlers=x\n")).toContain("no handler named x");
    expect(
      await refused(
        "i.ini",
        "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[logger_root]\nhandlers=h\n[handler_h]\nclass=StreamHandler\nargs=(open('x'),)\n",
      ),
    ).toContain("open cannot map");
  });
});

describe("formatters", () => {
  const record = {
    name: "circus.watcher",
    pid: "42",
    level: "INFO",
    levelno: 20,
    message: "hi",
    atMs: 1_700_000_000_123,
  };

  test("%-style with widths, justification and Python's asctime (milliseconds after a comma)", () => {
    const f = recordFormat("[%(levelname)-8s] %(name)s %(process)d: %(message)s %(levelno)03d", null, "%", fail);
    expect(f(record)).toBe("[INFO    ] circus.watcher 42: hi 020");
    expect(recordFormat("%(asctime)s", null, "%", fail)(record)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,123$/);
    expect(recordFormat("%(asctime)s", "%H:%M", "%", fail)(record)).toMatch(/^\d\d:\d\d$/);
    expect(recordFormat("100%% %(message)s", null, "%", fail)(record)).toBe("100% hi");
  });

  test("{-style fields with alignment", () => {
    expect(recordFormat("{levelname:>6}|{message}|{process:5}", null, "{", fail)(record)).toBe("  INFO|hi|   42");
  });
});

describe("the daemon's log through a routing", () => {
  test("lines reach each handler its logger and levels allow, formatted by that handler", async () => {
    const path = write(
      "logging.yaml",
      `version: 1
formatters:
  short:
    format: '%(levelname)s %(name)s %(message)s'
handlers:
  all:
    class: logging.FileHandler
    filename: all.log
    formatter: short
  errors:
    class: logging.handlers.WatchedFileHandler
    filename: errors.log
    level: ERROR
loggers:
  circus.watcher:
    level: WARNING
root:
  level: DEBUG
  handlers: [all, errors]
`,
    );
    const cwd = join(path, "..");
    const python = await logThrough(path, cwd, () => {
      getLogger("circus").debug("debug from circus");
      getLogger("circus.watcher").info("info from a watcher");
      getLogger("circus.watcher").warning("warning from a watcher");
      getLogger("circus.arbiter").error("error from the arbiter");
    });
    expect(python.files.sort()).toEqual([join(cwd, "all.log"), join(cwd, "errors.log")]);
    expect(readFileSync(join(cwd, "all.log"), "utf8")).toBe(
      "DEBUG circus debug from circus\nWARNING circus.watcher warning from a watcher\nERROR circus.arbiter error from the arbiter\n",
    );
    // No formatter: Python's default is the message alone.
    expect(readFileSync(join(cwd, "errors.log"), "utf8")).toBe("error from the arbiter\n");
  });

  test("a RotatingFileHandler rotates the daemon's log by size", async () => {
    const path = write(
      "logging.yaml",
      "version: 1\nhandlers:\n  f:\n    class: logging.handlers.RotatingFileHandler\n    filename: r.log\n    maxBytes: 200\n    backupCount: 2\nroot:\n  level: INFO\n  handlers: [f]\n",
    );
    const cwd = join(path, "..");
    await logThrough(path, cwd, () => {
      for (let i = 0; i < 20; i++) getLogger("circus").info(`line ${i} ${"x".repeat(30)}`);
    });
    expect(existsSync(join(cwd, "r.log.1"))).toBe(true);
    expect(existsSync(join(cwd, "r.log.3"))).toBe(false);
    expect(readFileSync(join(cwd, "r.log"), "utf8").length).toBeLessThan(200);
  });
});
