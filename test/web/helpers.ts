// Tests of the web console: run `circus web` for real (the binary, or the sources under bun), wait
// for the line that says where it serves, talk to it over HTTP like a browser (cookies, CSRF
// token), and drive Debian's chromium through playwright-core. Every process is ended by pid.

import { chromium, type Browser, type BrowserServer } from "playwright-core";
import type { Subprocess } from "bun";
import { circusCommand } from "../helpers/paths.ts";
import { defer } from "../helpers/cleanup.ts";
import { descendantsOf, isAlive, killTree, Output, run, spawnTracked, stopProcess } from "../helpers/processes.ts";

export interface RunningWeb {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  base: string;
  output(): string;
  /**
   * Wait until the console's output holds `text`. Its stdout is a pipe, a channel apart from the HTTP
   * connection: a line the console wrote before it answered may reach this process after the answer
   * (and after another round trip), so a test reads a log line by waiting for it, never right after
   * the reply.
   */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<RunningWeb>();

/** Start `circus web …args`; resolves once it serves (or rejects with its output when it exits). */
export async function startWeb(args: string[], env: Record<string, string> = {}): Promise<RunningWeb> {
  const proc = spawnTracked([...circusCommand(), "web", "--port", "0", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const output = new Output(proc.stdout, proc.stderr);
  const serving = output.waitFor(/serving the console on (http:\/\/\S+?)\/? /, 15_000);
  const exited = proc.exited.then((code) => {
    throw new Error(`circus web exited with ${code}:\n${output.text()}`);
  });
  // Whichever loses the race settles unobserved: after it served, an exit is the test's business.
  serving.catch(() => {});
  exited.catch(() => {});
  const url = (await Promise.race([serving, exited]))[1]!;
  const web: RunningWeb = {
    proc,
    base: url.replace(/\/$/, ""),
    output: () => output.text(),
    async waitForOutput(text, timeoutMs = 5000) {
      await output.waitFor(text, timeoutMs);
    },
    async stop() {
      running.delete(web);
      await stopProcess(proc, "SIGTERM", 5000);
    },
  };
  running.add(web);
  return web;
}

/** Run `circus web …args` to its end (for refusals and --add-user). */
export async function runWeb(args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return run([...circusCommand(), "web", ...args], { stdin });
}

/** Stop every console a test left running. */
export async function stopAllWebs(): Promise<void> {
  await Promise.all([...running].map((w) => w.stop()));
}

/** What POST /api/command answers: the daemon's reply, or an error. */
export interface CommandAnswer {
  reply?: Record<string, unknown>;
  error?: string;
  errno?: number;
}

/** A cookie-keeping HTTP client, like a browser tab: reads the CSRF token from the pages it gets. */
export class WebClient {
  cookies = new Map<string, string>();
  csrf = "";

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(response: Response): void {
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(this.base + path, {
      headers: { cookie: this.cookieHeader(), ...headers },
      redirect: "manual",
    });
    this.keep(response);
    return response;
  }

  /** GET a page and remember its CSRF token (from the meta tag or the login form). */
  async page(path: string): Promise<{ status: number; text: string; response: Response }> {
    const response = await this.get(path);
    const text = await response.text();
    const m = /name="csrf-token" content="([^"]+)"/.exec(text) ?? /name="csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: response.status, text, response };
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(this.base + path, {
      method: "POST",
      headers: {
        cookie: this.cookieHeader(),
        "content-type": "application/json",
        "x-csrf-token": this.csrf,
        ...headers,
      },
      body: JSON.stringify(body),
      redirect: "manual",
    });
    this.keep(response);
    return response;
  }

  /** POST /api/command; resolves with the status and the decoded answer. */
  async command(
    command: string,
    properties: Record<string, unknown>,
  ): Promise<{ status: number; body: CommandAnswer }> {
    const response = await this.post("/api/command", { command, properties });
    return { status: response.status, body: (await response.json()) as CommandAnswer };
  }

  /** Log in through the form (user+password or token). */
  async login(fields: Record<string, string>): Promise<Response> {
    await this.page("/login");
    const form = new URLSearchParams({ csrf: this.csrf, next: "/", ...fields });
    const response = await fetch(this.base + "/login", {
      method: "POST",
      headers: { cookie: this.cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    this.keep(response);
    if (response.status === 303) await this.page("/");
    return response;
  }
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Debian's chromium, headless, with a fresh profile; `close()` also kills what it left, by pid. */
export async function launchBrowser(): Promise<RunningBrowser> {
  const server: BrowserServer = await chromium.launchServer({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const pid = server.process().pid!;
  const browser = await chromium.connect(server.wsEndpoint());
  const close = async () => {
    const tree = [pid, ...descendantsOf(pid)];
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
    for (const p of tree) if (isAlive(p)) killTree(p);
  };
  defer(close);
  return { browser, close };
}
