import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLoggerConfig, openLogOutput, syslogMessage } from "../../src/streams/logoutput.ts";
import { until } from "../helpers/wait.ts";
import { spawnSh, tempDir } from "./helpers.ts";

const LINE = "2024-01-10 12:00:00 circus[321] [ERROR] boom happened";

describe("openLogOutput", () => {
  test("syslog://host:port sends RFC 3164 datagrams with facility and severity", async () => {
    const received: string[] = [];
    const listener = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (_s, data) => void received.push(Buffer.from(data).toString()) },
    });
    try {
      const out = await openLogOutput(`syslog://127.0.0.1:${listener.port}?local3`);
      out(LINE);
      out("2024-01-10 12:00:01 circus.zmtp[321] [DEBUG] detail");
      await until(() => received.length >= 2, 5000, "both datagrams");
      await out.close();
      expect(received[0]).toMatch(
        /^<155>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ circus\[321\]: \[ERROR\] circus: boom happened$/,
      );
      expect(received[1]).toMatch(/^<159>.* circus\[321\]: \[DEBUG\] circus\.zmtp: detail$/);
    } finally {
      listener.close();
    }
  });

  test("syslog:///path sends to a unix datagram socket", async () => {
    const dir = tempDir();
    const path = join(dir, "log.sock");
    const receiver = spawnSh(
      `python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print("ready", flush=True); print(s.recv(4096).decode(), flush=True); print(s.recv(4096).decode(), flush=True)' ${path}`,
    );
    const lines = receiver.stdout.getReader();
    // "ready" may arrive split from its newline: read up to the end of the line.
    let ready = "";
    while (!ready.includes("\n")) ready += new TextDecoder().decode((await lines.read()).value);
    expect(ready).toBe("ready\n");
    const out = await openLogOutput(`syslog://${path}?daemon`);
    out(LINE);
    await receiver.exited;
    let text = "";
    for (;;) {
      const { done, value } = await lines.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("circus[");
    expect(text).toMatch(/<27>.* circus\[321\]: \[ERROR\] circus: boom happened/);
    await out.close();
  });

  test("an unknown facility is refused with the list", async () => {
    await expect(openLogOutput("syslog://127.0.0.1:9?nope")).rejects.toThrow(
      /unknown syslog facility "nope"; use one of kern, user/,
    );
  });

  test("a file output reopens after logrotate moved it, and applies a format", async () => {
    const dir = tempDir();
    const path = join(dir, "circus.log");
    const out = await openLogOutput(path, { format: "{level}|{name}|{message}" });
    out(LINE);
    await until(() => existsSync(path) && readFileSync(path, "utf8") !== "", 5000, "the first line written");
    renameSync(path, `${path}.1`);
    out(LINE.replace("boom", "bang"));
    await out.close();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("ERROR|circus|boom happened\n");
    expect(readFileSync(path, "utf8")).toBe("ERROR|circus|bang happened\n");
  });

  test("syslog messages default to severity info for lines of another shape", () => {
    expect(syslogMessage("free text", 1, "host", Date.UTC(2024, 0, 5))).toMatch(
      /^<14>Jan {2}5 \d\d:00:00 host circus\[\d+\]: free text$/,
    );
  });
});

describe("loadLoggerConfig", () => {
  test("reads the small JSON schema", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "log.json"), JSON.stringify({ level: "WARNING", output: "-", format: "{message}" }));
    expect(await loadLoggerConfig(join(dir, "log.json"))).toEqual({
      level: "warning",
      output: "-",
      format: "{message}",
    });
  });

  test("a file that is not JSON is not ours: the message names the three forms", async () => {
    await expect(loadLoggerConfig("/etc/circus/logging.txt")).rejects.toThrow(/is \*\.json .*\*\.yaml or \*\.ini/);
  });

  test("unknown keys and bad levels are refused", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.json"), JSON.stringify({ version: 1 }));
    writeFileSync(join(dir, "b.json"), JSON.stringify({ level: "loud" }));
    await expect(loadLoggerConfig(join(dir, "a.json"))).rejects.toThrow(/unknown key "version"/);
    await expect(loadLoggerConfig(join(dir, "b.json"))).rejects.toThrow(/"level": "loud" is not one of/);
  });
});

describe("daemon log to a blocked stdout", () => {
  test("lines beyond an 8 MiB backlog are dropped and counted, not kept in memory", async () => {
    const script = `
      import { openLogOutput, LOG_BACKLOG_CAP } from ${JSON.stringify(join(import.meta.dir, "../../src/streams/logoutput.ts"))};
      import { fdQueue } from ${JSON.stringify(join(import.meta.dir, "../../src/streams/console.ts"))};
      const out = await openLogOutput("-");
      const line = "x".repeat(199);
      for (let i = 0; i < 100000; i++) out(line); // 20 MB, and nobody reads our stdout
      const backlog = fdQueue(1).backlog;
      process.stderr.write(JSON.stringify({ backlog, cap: LOG_BACKLOG_CAP }) + "\\n");
      process.exit(0);
    `;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(0);
    const { backlog, cap } = JSON.parse(err.trim());
    expect(backlog).toBeLessThanOrEqual(cap + 200);
    expect(backlog).toBeGreaterThan(cap - 200);
  });
});
