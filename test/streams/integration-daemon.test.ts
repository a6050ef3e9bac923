// The daemon's side of output: what is still buffered when it quits is written out, its own log goes
// to syslog (real datagrams) or to a file shaped by a JSON loggerconfig, and `circus ctl reopen` does
// what SIGUSR1 does.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { circusCommand, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const FIX = join(import.meta.dir, "fixtures");
const daemons: RunningDaemon[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-streams-daemon-"));
  dirs.push(dir);
  return dir;
}

async function daemonWith(ini: string, args: string[] = []): Promise<RunningDaemon> {
  const d = await startDaemon(
    `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
${ini}`,
    args,
  );
  daemons.push(d);
  return d;
}

const lines = (path: string) => readFileSync(path, "utf8").replace(/\n$/, "").split("\n");

describe("daemon output and logging", () => {
  test("on quit, output still buffered in pipes and streams is all written before the daemon exits", async () => {
    const out = outDir();
    const d = await daemonWith(`
[watcher:burst]
cmd = sh -c 'seq 1 300000; echo last-words >&2; touch ${out}/written; exec sleep 300'
graceful_timeout = 1
stdout_stream.filename = ${out}/burst.log
stderr_stream.class = ${FIX}/slow-stream.ts:create
stderr_stream.filename = ${out}/burst.err
`);
    await waitFor(() => existsSync(join(out, "written")), 10000, "the worker to finish writing");
    expect(await d.stop()).toBe(0);
    const got = lines(join(out, "burst.log"));
    expect(got.length).toBe(300000);
    expect(got.at(-1)).toBe("300000");
    expect(readFileSync(join(out, "burst.err"), "utf8")).toBe("last-words\n");
  });

  test("--log-output syslog://host:port?facility sends the daemon's log as RFC 3164 datagrams", async () => {
    const received: string[] = [];
    const udp = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: { data: (_s, buf) => void received.push(Buffer.from(buf).toString()) },
    });
    try {
      const d = await daemonWith("", ["--log-output", `syslog://127.0.0.1:${udp.port}?local3`]);
      // local3 (19) × 8 + info (6) = 158
      const start = await waitFor(() => received.find((m) => m.includes("starting circus")), 5000, "the start line");
      expect(start).toMatch(
        new RegExp(
          `^<158>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ circus\\[${d.proc.pid}\\]: \\[INFO\\] circus: starting circus`,
        ),
      );
      expect(d.output()).not.toContain("starting circus");
      d.proc.kill("SIGTERM");
      await waitFor(() => received.find((m) => m.includes("arbiter stopped")), 15_000, "the stop line").catch(
        async (error: Error) => {
          // Seen twice in ~50 loaded runs (the daemon still ran, having sent only its start line) and never
          // reproduced alone: say all that can be seen of the daemon.
          const pid = d.proc.pid;
          const state = d.proc.exitCode === null ? "still runs" : `exited ${d.proc.exitCode} (${d.proc.signalCode})`;
          const proc = existsSync(`/proc/${pid}/status`)
            ? readFileSync(`/proc/${pid}/status`, "utf8")
                .split("\n")
                .filter((l) => /^(State|SigPnd|ShdPnd|SigBlk|SigCgt|Threads):/.test(l))
                .join(", ")
            : "gone";
          const answer = await d.call("numwatchers", {}, 2000).then(
            (r) => JSON.stringify(r),
            (e: Error) => `no answer (${e.message})`,
          );
          throw new Error(
            `${error.message}; the daemon ${state} (${proc}); numwatchers: ${answer}; ` +
              `it sent: ${received.join(" / ")}; its output: ${d.output()}`,
          );
        },
      );
    } finally {
      udp.close();
    }
  });

  test("a JSON --logger-config sets level, output file and line format; ctl reopen reopens stream files", async () => {
    const out = outDir();
    const config = join(out, "logging.json");
    writeFileSync(
      config,
      JSON.stringify({ level: "debug", output: join(out, "circus.log"), format: "{level} {name}: {message}" }),
    );
    const d = await daemonWith(
      `
[watcher:w]
cmd = ${FIX}/numbered.sh 100 0.02
graceful_timeout = 1
stdout_stream.filename = ${out}/w.log
`,
      ["--logger-config", config],
    );
    const log = join(out, "circus.log");
    await waitFor(
      () => existsSync(log) && readFileSync(log, "utf8").includes("INFO circus.watcher: watcher w: spawned"),
      5000,
      "the spawn line",
    );
    expect(readFileSync(log, "utf8")).toMatch(/^DEBUG circus\.zmtp: bound /m);
    expect(readFileSync(log, "utf8")).toMatch(/^INFO circus: starting circus/m);

    await waitFor(() => existsSync(join(out, "w.log")) && statSync(join(out, "w.log")).size > 1000, 5000, "w.log");
    renameSync(join(out, "w.log"), join(out, "w.moved"));
    const ctl = Bun.spawn([...circusCommand(), "ctl", "--endpoint", d.endpoint, "reopen"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [text, code] = await Promise.all([new Response(ctl.stdout).text(), ctl.exited]);
    expect(code).toBe(0);
    expect(text.split("\n")).toContain(join(out, "w.log"));
    expect(text.split("\n")).toContain(log);
    await waitFor(
      () => existsSync(join(out, "w.log")) && statSync(join(out, "w.log")).size > 1000,
      5000,
      "a new w.log",
    );
    await d.call("stop", { name: "w", waiting: true });
    const all = [...lines(join(out, "w.moved")), ...lines(join(out, "w.log"))];
    expect(all.findIndex((l, i) => l !== String(i + 1))).toBe(-1);
  });

  test("loggerconfig = the Circus docs' YAML example: the daemon logs through its handler, formatter and levels", async () => {
    // The example of Circus's configuration docs, as written (relative file name: the daemon's cwd).
    const yaml = `version: 1
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
    const d = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\nloggerconfig = logging.yaml\n\n[watcher:w]\ncmd = sleep 300\n",
      [],
      { files: { "logging.yaml": yaml } },
    );
    daemons.push(d);
    const log = join(d.dir, "logoutput.txt");
    await waitFor(
      () => existsSync(log) && readFileSync(log, "utf8").includes(" - circus.watcher - [INFO] watcher w: spawned"),
      5000,
      "the spawn line in logoutput.txt",
    );
    expect(readFileSync(log, "utf8")).toContain(" - circus.zmtp - [DEBUG] bound ");
    expect(readFileSync(log, "utf8")).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - circus - \[INFO\] starting circus/m,
    );
    // propagate: no — each line once, although root has the same handler.
    const lines = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.includes("watcher w: spawned"));
    expect(lines).toHaveLength(1);
    expect(d.output()).not.toContain("starting circus");
  });

  test("a relative stream filename is relative to the daemon's working directory, as in Circus, not the config file's", async () => {
    const runDir = outDir();
    const d = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n[watcher:w]\ncmd = echo hello\nstdout_stream.filename = w.log\n",
      [],
      { wrap: ["env", `--chdir=${runDir}`] },
    );
    daemons.push(d);
    await waitFor(
      () => existsSync(join(runDir, "w.log")) && readFileSync(join(runDir, "w.log"), "utf8").includes("hello"),
      5000,
      "w.log in the daemon's cwd",
    );
    expect(existsSync(join(d.dir, "w.log"))).toBe(false);
  });

  test("a logging.config that cannot map is refused, naming what does not map", async () => {
    const out = outDir();
    writeFileSync(join(out, "logging.ini"), "[loggers]\nkeys=root\n");
    writeFileSync(
      join(out, "mail.yaml"),
      "version: 1\nhandlers:\n  mail:\n    class: logging.handlers.SMTPHandler\nroot:\n  handlers: [mail]\n",
    );
    writeFileSync(join(out, "circus.ini"), "[watcher:w]\ncmd = sleep 300\n");
    for (const [file, expected] of [
      ["logging.ini", "no [logger_root] section"],
      ["mail.yaml", "handlers.mail: class logging.handlers.SMTPHandler cannot map"],
    ] as const) {
      const proc = Bun.spawn(
        [...circusCommand(), "daemon", "--logger-config", join(out, file), join(out, "circus.ini")],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(code).toBe(2);
      expect(err).toContain(expected);
    }
  });
});
