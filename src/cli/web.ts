// `circus web` (also `circushttpd`): the web console. Serves on --host/--port, or on the listening
// socket it inherited (--fd, how `[circus] httpd = true` runs it), and talks to the daemon only
// through the control client and the stats stream. `--add-user` manages the users file.

import { cac } from "cac";
import { DEFAULT_MULTICAST_ENDPOINT } from "../config/options/circus.ts";
import { parseMulticastEndpoint } from "../protocol/multicast.ts";
import { deferred, whenAborted } from "../util/async.ts";
import { isLoopbackHost } from "../util/host.ts";
import { getLogger } from "../util/log.ts";
import { VERSION } from "../version.ts";
import { parseEndpoint } from "../zmtp/endpoint.ts";
import { addUser, AuthFileError, Authenticator, loadToken, loadUsers, MIN_PASSWORD_LENGTH } from "../web/auth.ts";
import { WebConsole } from "../web/console.ts";
import type { TunnelOpener } from "../web/link.ts";
import { parseRole } from "../web/roles.ts";
import { createHandler } from "../web/routes.ts";
import { listeningUrl, serveOnFd, serveOnPort, type Listening } from "../web/serve.ts";
import { DEFAULT_IDLE_MS } from "../web/sessions.ts";
import { interruptOn } from "./shared/interrupt.ts";
import { startToolLogging, ToolLoggingError, type ToolLogOutput } from "./shared/tool-logging.ts";
import { curveFlagList, curveFromFlags } from "./shared/curve.ts";

const log = getLogger("circus.web");

interface WebFlags {
  host: string;
  port: number | string;
  fd?: number | string;
  endpoint?: string;
  pubsub?: string;
  statspoint?: string;
  ssh?: string;
  ssh_keyfile?: string;
  multicast?: string | boolean;
  multicastInterface: string;
  curveServerKey?: string;
  curveKey?: string;
  authFile?: string;
  tokenFile?: string;
  sessionTimeout: number | string;
  addUser?: string;
  role: string;
  logLevel: string;
  logOutput: string;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac("circushttpd");
  cli
    .usage("[options]   (the console; open the URL it prints)")
    .option("--host <host>", "address to serve on; other than loopback needs --auth-file or --token-file", {
      default: "127.0.0.1",
    })
    .option("--port <port>", "port to serve on (0 = any free port)", { default: 8080 })
    .option("--fd <fd>", "serve on this inherited listening socket instead (set by circusd for httpd = true)")
    .option("--endpoint <endpoint>", "the daemon's control endpoint; without it the console asks (connect page)")
    .option("--pubsub <endpoint>", "the daemon's event endpoint (default: what the daemon reports)")
    .option("--statspoint <endpoint>", "the stats stream (default: what the daemon reports)")
    .option("--ssh <server>", "reach the daemon through an ssh tunnel (user@host[:port])")
    .option("--ssh_keyfile <file>", "key file for --ssh")
    .option(
      "--multicast [endpoint]",
      `search for daemons on the connect page (default group ${DEFAULT_MULTICAST_ENDPOINT})`,
    )
    .option("--multicast-interface <address>", "with --multicast: the interface to search on", {
      default: "127.0.0.1",
    })
    .option("--auth-file <file>", "users file (name:role:hash lines); users must log in")
    .option("--token-file <file>", "file holding a token that logs in as admin")
    .option("--session-timeout <seconds>", "log out after this long without activity", {
      default: DEFAULT_IDLE_MS / 1000,
    })
    .option("--add-user <name>", "add or update a user in --auth-file (password read from stdin) and exit")
    .option("--role <role>", "with --add-user: read, operate or admin", { default: "read" })
    .option("--log-level <level>", "critical, error, warning, info or debug", { default: "info" })
    .option("--log-output <out>", "'-' for stdout, a file, or syslog://…", { default: "-" });
  for (const [name, f] of curveFlagList()) cli.option(`--${name} <${f.arg}>`, f.help);
  cli.help().version(VERSION);
  return cli;
}

/** Read a password: without echo from a terminal, else the first line of stdin. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const text = await new Response(Bun.stdin.stream()).text();
    return text.split("\n")[0]!.replace(/\r$/, "");
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let password = "";
  const entered = deferred();
  const onData = (data: Buffer) => {
    for (const ch of data.toString("utf8")) {
      if (ch === "\r" || ch === "\n") return entered.resolve();
      if (ch === "\x03") return entered.reject(new Error("interrupted"));
      if (ch === "\x7f") password = password.slice(0, -1);
      else password += ch;
    }
  };
  stdin.on("data", onData);
  try {
    await entered.promise;
  } finally {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
  return password;
}

async function runAddUser(flags: WebFlags): Promise<number> {
  const role = parseRole(flags.role);
  if (!role) {
    process.stderr.write(`circushttpd: --role "${flags.role}" is not read, operate or admin\n`);
    return 2;
  }
  if (!flags.authFile) {
    process.stderr.write("circushttpd: --add-user needs --auth-file FILE (the users file to write)\n");
    return 2;
  }
  const name = String(flags.addUser);
  try {
    const password = await readPassword(`Password for ${name} (at least ${MIN_PASSWORD_LENGTH} characters): `);
    const what = await addUser(flags.authFile, name, role, password);
    process.stdout.write(`${what} ${name} (${role}) in ${flags.authFile}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`circushttpd: ${(error as Error).message}\n`);
    return error instanceof AuthFileError ? 2 : 1;
  }
}

function numberFlag(value: unknown, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** Serve until SIGTERM/SIGINT/SIGQUIT/SIGHUP; resolves with the exit code. */
export async function runWeb(argv: string[]): Promise<number> {
  const cli = buildParser();
  let flags: WebFlags;
  try {
    // cac reads a lone `-` as `true`; `--log-output -` (stdout, how the daemon runs us) must stay a value.
    const args = argv.map((a, i) => (a === "-" && argv[i - 1] === "--log-output" ? "stdout" : a));
    const parsed = cli.parse(["", "", ...args], { run: false });
    // cac checks these only when it runs a command action; a typo must not pass silently.
    cli.globalCommand.checkUnknownOptions();
    cli.globalCommand.checkOptionValue();
    if (parsed.args.length > 0)
      throw new Error(`unexpected argument "${parsed.args[0]}" (every setting is an --option)`);
    flags = parsed.options as WebFlags;
  } catch (error) {
    process.stderr.write(`circushttpd: ${(error as Error).message}\n`);
    return 2;
  }
  if (flags.help || flags.version) return 0;
  if (flags.addUser !== undefined) return runAddUser(flags);
  let output: ToolLogOutput;
  try {
    output = await startToolLogging(flags.logLevel, flags.logOutput);
  } catch (error) {
    if (!(error instanceof ToolLoggingError)) throw error;
    process.stderr.write(`circushttpd: ${error.message}\n`);
    return 2;
  }
  try {
    return await serve(flags);
  } finally {
    await output.close();
  }
}

/** Serve the console the flags describe (logging is set up) until a signal; resolves with the exit code. */
async function serve(flags: WebFlags): Promise<number> {
  let port: number;
  let fd: number | null;
  let idleSeconds: number;
  let auth: Authenticator;
  let curve: Awaited<ReturnType<typeof curveFromFlags>>;
  try {
    curve = await curveFromFlags(flags);
    port = numberFlag(flags.port, "--port", 0);
    fd = flags.fd === undefined ? null : numberFlag(flags.fd, "--fd", 0);
    idleSeconds = numberFlag(flags.sessionTimeout, "--session-timeout", 1);
    for (const [flag, value] of [
      ["--endpoint", flags.endpoint],
      ["--pubsub", flags.pubsub],
      ["--statspoint", flags.statspoint],
    ] as const) {
      if (value === undefined) continue;
      try {
        parseEndpoint(String(value));
      } catch (error) {
        throw new Error(`${flag}: ${(error as Error).message}`);
      }
    }
    auth = new Authenticator(
      flags.authFile ? loadUsers(flags.authFile) : new Map(),
      flags.tokenFile ? loadToken(flags.tokenFile) : null,
    );
  } catch (error) {
    process.stderr.write(`circushttpd: ${(error as Error).message}\n`);
    return 2;
  }
  const host = String(flags.host);
  const refusal = (where: string) =>
    `refusing to serve on ${where} without authentication: anyone who reaches it could run any command. ` +
    "Give --auth-file or --token-file (see `circus web --help`), or serve on 127.0.0.1";
  if (fd === null && !auth.required && !isLoopbackHost(host)) {
    process.stderr.write(`circushttpd: ${refusal(host)}\n`);
    return 2;
  }

  let openTunnel: TunnelOpener | undefined;
  if (flags.ssh) {
    // One tunnel per endpoint as the link learns them (the event and stats endpoints come from the daemon).
    const { openSshTunnel } = await import("./shared/ssh.ts");
    const server = flags.ssh;
    openTunnel = (endpoint) => openSshTunnel(server, endpoint, flags.ssh_keyfile ?? null);
  }
  const multicast =
    flags.multicast === undefined || flags.multicast === false
      ? null
      : flags.multicast === true
        ? DEFAULT_MULTICAST_ENDPOINT
        : String(flags.multicast);
  const group = multicast === null ? null : parseMulticastEndpoint(multicast);
  if (typeof group === "string") {
    process.stderr.write(`circushttpd: --multicast: ${group}\n`);
    return 2;
  }

  const web = new WebConsole({
    endpoint: flags.endpoint ?? null,
    pubsub: flags.pubsub,
    statspoint: flags.statspoint,
    openTunnel,
    auth,
    sessionIdleMs: idleSeconds * 1000,
    multicast,
    multicastInterface: String(flags.multicastInterface),
    curve,
  });
  const handler = createHandler(web);
  let listening: Listening;
  try {
    listening = fd === null ? serveOnPort(handler, host, port) : await serveOnFd(handler, fd);
  } catch (error) {
    await web.close();
    const where = fd === null ? `${host}:${port}` : `fd ${fd}`;
    process.stderr.write(`circushttpd: cannot serve on ${where}: ${(error as Error).message}\n`);
    return 1;
  }
  // The address actually bound decides (a name may resolve elsewhere; an inherited fd is anything).
  if (!auth.required && !isLoopbackHost(listening.host)) {
    await listening.close();
    await web.close();
    process.stderr.write(`circushttpd: ${refusal(`${listening.host}:${listening.port}`)}\n`);
    return 2;
  }
  web.port = listening.port;
  log.info(
    `serving the console on ${listeningUrl(listening)} (${auth.required ? "login required" : "no login: loopback only"}` +
      `${flags.endpoint ? `, daemon ${flags.endpoint}` : ", no daemon yet: use the connect page"})`,
  );

  const interrupt = interruptOn(["SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM"], (signal) =>
    log.info(`got ${signal}, stopping`),
  );
  await whenAborted(interrupt.signal);
  interrupt.off();
  await web.close();
  await listening.close();
  return 0;
}
