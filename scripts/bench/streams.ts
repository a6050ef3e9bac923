// Stream-layer benchmark (not a test): one worker writes 1 GiB of numbered 100-byte lines to a pipe →
// CaptureReader (+ tail buffer) → FileStream rotating at max_bytes 100 MB with backup_count 3, all in this
// process. Reports MB/s, this process's RSS over the run, and checks the retained files: numbering
// contiguous up to the last line, nothing damaged or duplicated. Baseline: the same worker writing
// straight to a file (shell redirection). The daemon-level comparison with supervisor is
// scripts/bench/streams-daemon.ts, which also runs this file's --worker mode.
// Run: bun scripts/bench/streams.ts [--mib 1024] [--max-mb 100] [--backups 3]

import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStream } from "../../src/streams/create.ts";
import { closeFd, outputPair } from "../../src/os/capture.ts";
import { CaptureReader } from "../../src/streams/reader.ts";
import { TailBuffer } from "../../src/streams/tail.ts";

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const LINE = 100;
const DIGITS = 12;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** Worker mode: lines `000000000001 xxx…\n` (100 bytes) numbered from 1, written with blocking writes. */
function worker(lines: number): void {
  const perBuffer = 10_000;
  const buf = new Uint8Array(perBuffer * LINE).fill(0x78);
  for (let i = 0; i < perBuffer; i++) {
    buf[i * LINE + DIGITS] = 0x20;
    buf[i * LINE + LINE - 1] = 0x0a;
  }
  const digits = new Uint8Array(DIGITS).fill(0x30);
  let n = 0;
  while (n < lines) {
    const count = Math.min(perBuffer, lines - n);
    for (let i = 0; i < count; i++) {
      let d = DIGITS - 1;
      while (digits[d] === 0x39) digits[d--] = 0x30;
      digits[d]!++;
      buf.set(digits, i * LINE);
    }
    n += count;
    let off = 0;
    const end = count * LINE;
    while (off < end) off += writeSync(1, buf, off, end - off);
  }
}

if (process.argv.includes("--worker")) {
  worker(arg("--worker", 0));
  process.exit(0);
}

const MIB = arg("--mib", 1024);
const MAX_BYTES = arg("--max-mb", 100) * 1_000_000;
const BACKUPS = arg("--backups", 3);
const LINES = Math.ceil((MIB * 1024 * 1024) / LINE);
const BYTES = LINES * LINE;
const workerCmd = [process.execPath, import.meta.path, "--worker", String(LINES)];

async function baseline(dir: string): Promise<number> {
  const path = join(dir, "direct.log");
  const fd = openSync(path, "w");
  const t0 = performance.now();
  const child = Bun.spawn(workerCmd, { stdout: fd, stderr: "inherit" });
  await child.exited;
  const seconds = (performance.now() - t0) / 1000;
  closeSync(fd);
  rmSync(path);
  return seconds;
}

async function throughStreams(dir: string): Promise<{ seconds: number; rssMin: number; rssMax: number }> {
  const stream = await createStream(
    { filename: "app.log", max_bytes: String(MAX_BYTES), backup_count: String(BACKUPS) },
    { watcher: "bench", configDir: dir },
  );
  const tail = new TailBuffer(1000);
  Bun.gc(true);
  let rssMin = Infinity;
  let rssMax = 0;
  const sample = setInterval(() => {
    const rss = process.memoryUsage().rss / 1048576;
    rssMin = Math.min(rssMin, rss);
    rssMax = Math.max(rssMax, rss);
  }, 100);
  const t0 = performance.now();
  const pair = outputPair();
  const child = Bun.spawn(workerCmd, { stdio: ["ignore", pair.workerFd, "inherit"] });
  closeFd(pair.workerFd);
  const reader = new CaptureReader(pair.daemonFd, { pid: child.pid, channel: "stdout", stream, tail });
  await child.exited;
  await reader.done;
  await stream.close();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sample);
  return { seconds, rssMin, rssMax };
}

/** Read retained files oldest first; every line must be whole and numbered one more than the last. */
function verify(dir: string): {
  files: number;
  first: number;
  last: number;
  lines: number;
  gaps: number;
  damaged: number;
} {
  const names = readdirSync(dir).filter((n) => n.startsWith("app.log"));
  const order = names.sort((a, b) => rank(b) - rank(a));
  let first = 0;
  let prev = 0;
  let lines = 0;
  let gaps = 0;
  let damaged = 0;
  const buf = new Uint8Array(LINE * 100_000);
  for (const name of order) {
    const fd = openSync(join(dir, name), "r");
    const size = statSync(join(dir, name)).size;
    if (size % LINE !== 0) damaged++;
    for (let pos = 0; pos < size; ) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      pos += got;
      for (let off = 0; off + LINE <= got; off += LINE) {
        if (buf[off + LINE - 1] !== 0x0a || buf[off + DIGITS] !== 0x20) damaged++;
        let n = 0;
        for (let d = 0; d < DIGITS; d++) n = n * 10 + (buf[off + d]! - 0x30);
        if (first === 0) first = n;
        else if (n !== prev + 1) gaps++;
        prev = n;
        lines++;
      }
    }
    closeSync(fd);
  }
  return { files: order.length, first, last: prev, lines, gaps, damaged };
}

function rank(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

const dir = mkdtempSync(join(tmpdir(), "circus-bench-streams-"));
try {
  const direct = await baseline(dir);
  const run = await throughStreams(dir);
  const check = verify(dir);
  const lost = check.gaps + (LINES - check.last);
  const mb = BYTES / 1e6;
  console.log(`| ${MIB} MiB of ${LINE}-byte lines (${LINES} lines) | seconds | MB/s |`);
  console.log("|---|---|---|");
  console.log(`| worker → file (shell redirection, baseline) | ${fmt(direct, 2)} | ${fmt(mb / direct, 0)} |`);
  console.log(
    `| worker → socket pair → CaptureReader + tail → FileStream (max_bytes ${MAX_BYTES / 1e6} MB, backup_count ${BACKUPS}) | ${fmt(run.seconds, 2)} | ${fmt(mb / run.seconds, 0)} |`,
  );
  console.log("");
  console.log(`RSS of the reading process during the run: ${fmt(run.rssMin, 0)}–${fmt(run.rssMax, 0)} MB`);
  console.log(
    `Retained files: ${check.files}, lines ${check.first}…${check.last} (${check.lines}), gaps ${check.gaps}, damaged ${check.damaged}; ` +
      `lines lost: ${lost} (lines 1…${check.first - 1} were in backups rotated out by backup_count)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
