import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DealerSocket, EndpointError, RouterSocket } from "../../src/zmtp/index.ts";
import { killAllPeers, removeTempDirs, tempDir } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
  removeTempDirs();
});

async function echo(ep: string): Promise<RouterSocket> {
  const r = track(new RouterSocket());
  await r.bind(ep);
  r.onMessage((f) => r.send(f));
  return r;
}

async function roundTrip(ep: string): Promise<string[]> {
  const d = track(new DealerSocket());
  d.connect(ep);
  d.send(["ping"]);
  return text(await recvWithin(d));
}

describe("bind and connect", () => {
  test("tcp://*:0 binds all interfaces and exposes the real port", async () => {
    const r = await echo("tcp://*:0");
    expect(r.endpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    const port = r.endpoint!.split(":").at(-1);
    expect(await roundTrip(`tcp://127.0.0.1:${port}`)).toEqual(["ping"]);
  });

  test("a hostname resolves to IPv4 and port * is ephemeral", async () => {
    const r = await echo("tcp://localhost:*");
    expect(r.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(await roundTrip(`tcp://localhost:${r.endpoint!.split(":").at(-1)}`)).toEqual(["ping"]);
  });

  test("IPv6 [::1] works for bind and connect", async () => {
    const r = await echo("tcp://[::1]:0");
    expect(r.endpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
    expect(await roundTrip(r.endpoint!)).toEqual(["ping"]);
  });

  test("binding an address in use fails with EndpointError", async () => {
    const r = await echo("tcp://127.0.0.1:0");
    await expect(track(new RouterSocket()).bind(r.endpoint!)).rejects.toBeInstanceOf(EndpointError);
  });

  test("a malformed endpoint is rejected by connect with EndpointError", () => {
    expect(() => track(new DealerSocket()).connect("tcp://nowhere")).toThrow(EndpointError);
  });

  test("ipc bind replaces a stale file and removes its own file on close", async () => {
    const path = join(tempDir(), "stale.sock");
    writeFileSync(path, "left over by a crash");
    const r = await echo(`ipc://${path}`);
    expect(await roundTrip(`ipc://${path}`)).toEqual(["ping"]);
    await r.close();
    expect(existsSync(path)).toBe(false);
  });

  test("an ipc file bound with ipcMode has that mode from its creation, whatever the umask", async () => {
    const path = join(tempDir(), "ctl.sock");
    const old = process.umask(0);
    try {
      const r = track(new RouterSocket());
      await r.bind(`ipc://${path}`, { ipcMode: 0o600 });
      // No chmod ran: the mode is the bind's own. Without ipcMode the umask 000 would give 0777.
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(process.umask(0)).toBe(0); // restored right after the bind
      const plain = track(new RouterSocket());
      await plain.bind(`ipc://${path}.plain`);
      expect(statSync(`${path}.plain`).mode & 0o777).toBe(0o777);
    } finally {
      process.umask(old);
    }
  });

  test("ipc works with a relative path, and a pyzmq client can use it", async () => {
    const rel = relative(process.cwd(), join(tempDir(), "rel.sock"));
    const r = await echo(`ipc://${rel}`);
    expect(r.endpoint).toBe(`ipc://${rel}`);
    const py = await pyZmq({ type: "DEALER", connect: [`ipc://${rel}`] });
    py.send(["rel"]);
    expect(await py.recvText()).toEqual(["rel"]);
  });

  test("an ipc path longer than 107 bytes is refused with a clear EndpointError", async () => {
    const long = `ipc:///tmp/${"x".repeat(120)}.sock`;
    await expect(track(new RouterSocket()).bind(long)).rejects.toThrow(/limit is 107/);
  });

  test("abstract-namespace ipc (ipc://@name) interoperates with libzmq both ways", async () => {
    const name = `circus-zmtp-${process.pid}-${Date.now()}`;
    await echo(`ipc://@${name}-ours`);
    const py = await pyZmq({ type: "DEALER", connect: [`ipc://@${name}-ours`] });
    py.send(["to ours"]);
    expect(await py.recvText()).toEqual(["to ours"]);
    const pyRouter = await pyZmq({ type: "ROUTER", bind: `ipc://@${name}-theirs`, echo: true });
    expect(pyRouter.endpoint).toBe(`ipc://@${name}-theirs`);
    expect(await roundTrip(pyRouter.endpoint)).toEqual(["ping"]);
  });
});
