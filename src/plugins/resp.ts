// Just enough of the Redis protocol (RESP) for RedisObserver: connect (tcp, tls or unix socket),
// AUTH when the URL has a password, and INFO, whose text is parsed into `key → value`.

import { deadline, deferred } from "../util/async.ts";

/** Redis could not be reached or answered with an error. */
export class RedisError extends Error {
  override readonly name = "RedisError";
}

interface Target {
  hostname?: string;
  port?: number;
  unix?: string;
  tls: boolean;
  username: string | null;
  password: string | null;
}

/** Where `redis://[user:password@]host[:port][/db]`, `rediss://…` or `unix:///path?password=…` points. */
export function redisTarget(url: string): Target {
  const u = new URL(url);
  const decode = (s: string) => (s === "" ? null : decodeURIComponent(s));
  if (u.protocol === "unix:")
    return {
      unix: u.pathname,
      tls: false,
      username: u.searchParams.get("username"),
      password: u.searchParams.get("password"),
    };
  return {
    hostname: u.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === "rediss:",
    username: decode(u.username),
    password: decode(u.password),
  };
}

/** A command as a RESP array of bulk strings. */
export function encodeCommand(words: string[]): Uint8Array {
  const enc = new TextEncoder();
  const parts = words.map((w) => enc.encode(w));
  let text = `*${parts.length}\r\n`;
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(enc.encode(`${text}$${p.length}\r\n`), p);
    text = "\r\n";
  }
  chunks.push(enc.encode("\r\n"));
  return Buffer.concat(chunks);
}

/** One reply from the front of `buf`: [value, bytes used], or null when more bytes are needed. */
export function parseReply(buf: Buffer): [string | RedisError | null, number] | null {
  const eol = buf.indexOf("\r\n");
  if (eol < 0) return null;
  const line = buf.toString("utf8", 1, eol);
  switch (String.fromCharCode(buf[0]!)) {
    case "+":
    case ":":
      return [line, eol + 2];
    case "-":
      return [new RedisError(line), eol + 2];
    case "$": {
      const n = Number(line);
      if (n < 0) return [null, eol + 2];
      if (buf.length < eol + 2 + n + 2) return null;
      return [buf.toString("utf8", eol + 2, eol + 2 + n), eol + 2 + n + 2];
    }
    default:
      throw new RedisError(`unexpected reply from Redis: ${JSON.stringify(buf.toString("utf8", 0, eol))}`);
  }
}

/** INFO text → key/value pairs (sections and comments dropped). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

/** Run `commands` on one connection and resolve with their replies; rejects with RedisError. */
export async function redisCommands(url: string, commands: string[][], timeoutMs: number): Promise<string[]> {
  const target = redisTarget(url);
  const where = target.unix ?? `${target.hostname}:${target.port}`;
  let buffer = Buffer.alloc(0);
  const replies: string[] = [];
  let socket: Awaited<ReturnType<typeof Bun.connect>> | null = null;
  const outcome = deferred<string[]>();
  const finish = (error: Error | null) => {
    if (outcome.settled) return;
    // Settle before ending: end() may run the close handler at once, which must find it settled.
    if (error) outcome.reject(error);
    else outcome.resolve(replies);
    socket?.end();
  };
  const handlers = {
    data(_s: unknown, chunk: Uint8Array) {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let r = parseReply(buffer); r; r = parseReply(buffer)) {
          buffer = buffer.subarray(r[1]);
          if (r[0] instanceof RedisError) return finish(r[0]);
          replies.push(r[0] ?? "");
          if (replies.length === commands.length) return finish(null);
        }
      } catch (err) {
        finish(err as Error);
      }
    },
    close() {
      finish(new RedisError(`Redis at ${where} closed the connection`));
    },
    error(_s: unknown, err: Error) {
      finish(new RedisError(`Redis at ${where}: ${err.message}`, { cause: err }));
    },
    connectError(_s: unknown, err: Error) {
      finish(new RedisError(`cannot connect to Redis at ${where}: ${err.message}`, { cause: err }));
    },
  };
  const options = target.unix
    ? { unix: target.unix, socket: handlers }
    : { hostname: target.hostname!, port: target.port!, tls: target.tls, socket: handlers };
  Bun.connect(options as Parameters<typeof Bun.connect>[0])
    .then((s) => {
      socket = s;
      if (outcome.settled) return s.end();
      s.write(Buffer.concat(commands.map(encodeCommand)));
    })
    .catch((err: Error) =>
      finish(new RedisError(`cannot connect to Redis at ${where}: ${err.message}`, { cause: err })),
    );
  return deadline(outcome.promise, timeoutMs, () => {
    const error = new RedisError(`no answer from Redis at ${where} within ${timeoutMs} ms`);
    finish(error);
    return error;
  });
}

/** AUTH (when the URL carries a password) and INFO; resolves with INFO's fields. */
export async function redisInfo(url: string, timeoutMs: number): Promise<Map<string, string>> {
  const { username, password } = redisTarget(url);
  const commands: string[][] = [];
  if (password !== null) commands.push(username ? ["AUTH", username, password] : ["AUTH", password]);
  commands.push(["INFO"]);
  const replies = await redisCommands(url, commands, timeoutMs);
  return parseInfo(replies[replies.length - 1]!);
}
