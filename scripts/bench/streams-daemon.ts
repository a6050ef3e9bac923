// Output benchmark of `circus daemon` next to Debian's supervisor, in one run: one worker writes 1 GiB of
// numbered 100-byte lines to stdout (scripts/bench/streams.ts --worker, blocking writes); the daemon
// writes them to a size-rotated file (100 MB, enough backups to keep everything). Reports MB/s from the
// start request until every byte is in the files, lines lost / repeated / damaged / split across two
// files (read back as one stream, oldest file first), and the daemon's RSS sampled every 200 ms.
// Run: bun scripts/build.ts && bun scripts/bench/streams-daemon.ts [--mib 1024] [--max-mb 100]

import { startSupervisord } from "./supervisor.ts";
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childrenOf, cpuSeconds, fmt, rssMb, startCircusDaemon } from "./common.ts";

const WORKER = join(import.meta.dir, "streams.ts");
const LINE = 100;
const DIGITS = 12;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MIB = arg("--mib", 1024);
const MAX_BYTES = arg("--max-mb", 100) * 1_000_000;
const LINES = Math.ceil((MIB * 1024 * 1024) / LINE);
const BYTES = LINES * LINE;
const BACKUPS = Math.ceil(BYTES / MAX_BYTES) + 1;
const workerCmd = `${process.execPath} ${WORKER} --worker ${LINES}`;

interface Subject {
  name: string;
  pid: number;
  /** Start the worker; resolves when the request was accepted. */
  start(): Promise<void>;
  /** True once the worker has exited (and, for circus, its output is drained). */
  finished(): Promise<boolean>;
  stop(): Promise<void>;
}

async function startCircus(dir: string): Promise<Subject> {
  const daemon = await startCircusDaemon(
    dir,
    `[watcher:writer]\ncmd = ${workerCmd}\nautostart = false\nrespawn = false\n` +
      `stdout_stream.class = FileStream\nstdout_stream.filename = ${dir}/app.log\n` +
      `stdout_stream.max_bytes = ${MAX_BYTES}\nstdout_stream.backup_count = ${BACKUPS}\n`,
  );
  const { client } = daemon;
  return {
    name: "circus",
    pid: daemon.proc.pid,
    start: async () => void (await client.call("start", { name: "writer" })),
    // `stopped` comes after the reap, which waits until the pipe is read to EOF and written.
    finished: async () => (await client.call("status", { name: "writer" })).status === "stopped",
    stop: () => daemon.stop(),
  };
}

async function startSupervisor(dir: string): Promise<Subject> {
  const sup = await startSupervisord(
    dir,
    `[program:writer]\ncommand=${workerCmd}\nautostart=false\nautorestart=false\nstartsecs=0\nstopwaitsecs=1\n` +
      `stdout_logfile=${dir}/app.log\nstdout_logfile_maxbytes=${MAX_BYTES}\nstdout_logfile_backups=${BACKUPS}\nstderr_logfile=NONE\n`,
  );
  let started = false;
  return {
    name: "supervisor",
    pid: sup.proc.pid,
    async start() {
      await sup.rpc("supervisor.startProcess", ["writer", "false"]);
      started = true;
    },
    // supervisord reads the pipe in its own loop: the worker gone is not enough, the bytes must be in too.
    finished: async () => started && childrenOf(sup.proc.pid).length === 0 && totalSize(dir) >= BYTES,
    async stop() {
      sup.proc.kill("SIGTERM");
      await sup.proc.exited;
    },
  };
}

function logFiles(dir: string): string[] {
  const rank = (n: string) => (n === "app.log" ? 0 : Number(n.slice("app.log.".length)));
  return readdirSync(dir)
    .filter((n) => n === "app.log" || /^app\.log\.\d+$/.test(n))
    .sort((a, b) => rank(b) - rank(a));
}

function totalSize(dir: string): number {
  return logFiles(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

interface Check {
  files: number;
  lines: number;
  lost: number;
  repeated: number;
  damaged: number;
  /** Files not ending at a line end (a line cut in two by rotation). */
  split: number;
}

/** Read the files oldest first as one byte stream of 100-byte records numbered 1…LINES. */
function verify(dir: string): Check {
  const files = logFiles(dir);
  const check: Check = { files: files.length, lines: 0, lost: 0, repeated: 0, damaged: 0, split: 0 };
  const buf = new Uint8Array(LINE * 100_000);
  let carry = new Uint8Array(0);
  let prev = 0;
  for (const name of files) {
    const fd = openSync(join(dir, name), "r");
    let last = 0x0a;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      last = buf[got - 1]!;
      const data = carry.length ? concat(carry, buf.subarray(0, got)) : buf.subarray(0, got);
      const whole = data.length - (data.length % LINE);
      for (let off = 0; off < whole; off += LINE) {
        if (data[off + LINE - 1] !== 0x0a || data[off + DIGITS] !== 0x20) {
          check.damaged++;
          continue;
        }
        let n = 0;
        for (let d = 0; d < DIGITS; d++) n = n * 10 + (data[off + d]! - 0x30);
        if (n <= prev) check.repeated++;
        else check.lost += n - prev - 1;
        prev = Math.max(prev, n);
        check.lines++;
      }
      carry = data.slice(whole);
    }
    closeSync(fd);
    if (last !== 0x0a) check.split++;
  }
  check.lost += LINES - prev;
  return check;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Result {
  seconds: number;
  /** Daemon CPU (user + system) over the run. */
  cpu: number;
  rss: number[];
  check: Check;
}

async function run(make: (dir: string) => Promise<Subject>): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "circus-bench-streams-daemon-"));
  try {
    const subject = await make(dir);
    const rss: number[] = [rssMb(subject.pid)];
    let seconds: number;
    let cpu: number;
    try {
      const c0 = cpuSeconds(subject.pid);
      const sampler = setInterval(() => rss.push(rssMb(subject.pid)), 200);
      const t0 = performance.now();
      await subject.start();
      while (!(await subject.finished())) {
        if (performance.now() - t0 > 600_000) throw new Error(`${subject.name}: not finished after 10 minutes`);
        await Bun.sleep(20);
      }
      seconds = (performance.now() - t0) / 1000;
      cpu = cpuSeconds(subject.pid) - c0;
      clearInterval(sampler);
      rss.push(rssMb(subject.pid));
    } finally {
      await subject.stop();
    }
    return { seconds, cpu, rss, check: verify(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const circus = await run(startCircus);
const supervisor = await run(startSupervisor);
const mb = BYTES / 1e6;
const row = (name: string, r: Result) => {
  const c = r.check;
  const rss = r.rss;
  return (
    `| ${name} | ${fmt(r.seconds, 2)} | ${fmt(mb / r.seconds, 0)} | ${fmt(r.cpu, 2)} | ${c.lost} | ${c.repeated} | ${c.damaged} | ${c.split} of ${c.files} | ` +
    `${fmt(rss[0]!, 0)} → ${fmt(Math.max(...rss), 0)} → ${fmt(rss.at(-1)!, 0)} |`
  );
};
console.log(
  `| ${MIB} MiB of ${LINE}-byte lines (${LINES} lines), rotation at ${MAX_BYTES / 1e6} MB | seconds | MB/s | daemon CPU s | lines lost | repeated | damaged | files ending mid-line | daemon RSS MB: idle → max → end |`,
);
console.log("|---|---|---|---|---|---|---|---|---|");
console.log(row("circus daemon (FileStream)", circus));
console.log(row("supervisord (stdout_logfile)", supervisor));
console.log("");
console.log(`circus RSS samples (every 200 ms): ${circus.rss.map((v) => fmt(v, 0)).join(" ")}`);
