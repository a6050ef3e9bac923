// `circus daemon --daemon`, honestly: the caller's process starts the daemon in a new session and waits
// on a pipe until the daemon has loaded its config, taken the pidfile and bound every endpoint. What
// the daemon says until then (warnings, the reason it cannot start) reaches the caller's stderr; the
// caller returns 0 only once the daemon's control endpoint has answered, else 1.

import { closeFd, writeFd } from "../../os/fs.ts";
import { selfCommand } from "../../os/launcher.ts";

/** The daemon's end of the pipe: its descriptor number travels in this variable. */
const READY_FD_ENV = "CIRCUS_READY_FD";
/** Starts the line that ends the report; NUL never starts a log line. */
const READY_MARK = "\0ready ";

/** The detached daemon's side: say things to the waiting caller, then `ready` (or exit with a reason). */
export class StartupReport {
  private open = true;

  private constructor(private readonly fd: number) {}

  /**
   * The report pipe when this process was started by `--daemon`, else null. The variable is removed so
   * workers started with copy_env never see it.
   */
  static fromEnvironment(): StartupReport | null {
    const text = process.env[READY_FD_ENV];
    delete process.env[READY_FD_ENV];
    const fd = Number(text);
    return text && Number.isInteger(fd) && fd > 2 ? new StartupReport(fd) : null;
  }

  /** Text for the caller's stderr (a log line, a problem); lost without a word once the caller has gone. */
  say(text: string): void {
    if (!this.open) return;
    try {
      writeFd(this.fd, text.endsWith("\n") ? text : `${text}\n`, "the --daemon caller");
    } catch {
      this.open = false; // the caller was interrupted: the daemon still starts, as it would in the foreground
    }
  }

  /** The daemon answers on `endpoint`: tell the caller and close the pipe (no worker may inherit it). */
  ready(endpoint: string): void {
    this.say(`${READY_MARK}${endpoint}`);
    this.close();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeFd(this.fd);
  }
}

/**
 * The caller's side: run `circus daemon <argv without --daemon>` in a new session with no terminal, relay
 * what it reports, and return 0 once its control endpoint answers, or 1 with the reason.
 */
export async function detach(argv: string[], tool: string): Promise<number> {
  const child = Bun.spawn([...selfCommand(), "daemon", ...argv.filter((a) => a !== "--daemon")], {
    env: { ...process.env, [READY_FD_ENV]: "3" },
    stdio: ["ignore", "ignore", "ignore", "pipe"],
    detached: true,
  });
  const pipe = child.stdio[3];
  if (typeof pipe !== "number") {
    child.kill("SIGKILL");
    process.stderr.write(`${tool}: cannot start the daemon: no report pipe\n`);
    return 1;
  }
  const report = await new Response(Bun.file(pipe).stream()).text();
  const mark = report.lastIndexOf(READY_MARK);
  const said = mark < 0 ? report : report.slice(0, mark);
  if (said) process.stderr.write(said);
  if (mark < 0) {
    const code = await child.exited;
    if (!said) process.stderr.write(`${tool}: the daemon exited with status ${code} before it was ready\n`);
    return 1;
  }
  // The daemon says `ready` only once its own client got an answer on the control endpoint (with the
  // internal key when it speaks CURVE, which a client of ours could not know).
  child.unref();
  return 0;
}
