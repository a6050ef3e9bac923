// Discovery: off unless configured; joined on loopback unless another interface is named; answers
// only the query Circus's clients send (`""`), sent to the group, at a bounded rate.

import { afterEach, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import {
  isDiscoveryQuery,
  type MulticastResponder,
  parseMulticastEndpoint,
  startMulticast,
} from "../../src/protocol/multicast.ts";

const GROUP = "237.219.251.97";
const responders: MulticastResponder[] = [];
const clients: { close(): void }[] = [];
afterEach(() => {
  for (const r of responders.splice(0)) r.close();
  for (const c of clients.splice(0)) c.close();
});

async function responder(iface?: string): Promise<MulticastResponder> {
  const r = await startMulticast(`udp://${GROUP}:0`, "tcp://127.0.0.1:5555", iface);
  expect(r).not.toBeNull();
  responders.push(r!);
  return r!;
}

/** Send `payload` to `host:port` from interface `iface` and collect the answers for `waitMs`. */
async function ask(payload: string | Uint8Array, port: number, host: string, iface = "127.0.0.1", times = 1) {
  const answers: string[] = [];
  const client = await Bun.udpSocket({
    hostname: iface,
    port: 0,
    socket: {
      data: (_s, data) => void answers.push(new TextDecoder().decode(data)),
      // Nothing listens at a unicast address of the port: the kernel's port-unreachable lands here.
      error: () => {},
    },
  });
  clients.push(client);
  client.setMulticastInterface(iface);
  for (let i = 0; i < times; i++) client.send(payload, port, host);
  return {
    answers,
    settle: async (expected: number, waitMs = 2000) => {
      const deadline = Date.now() + waitMs;
      while (answers.length < expected && Date.now() < deadline) await Bun.sleep(10);
      await Bun.sleep(100);
      return answers;
    },
  };
}

test("a query sent to the group on loopback is answered with the control endpoint", async () => {
  const r = await responder();
  const q = await ask('""', r.port, GROUP);
  const answers = await q.settle(1);
  expect(answers.map((a) => JSON.parse(a))).toEqual([{ endpoint: "tcp://127.0.0.1:5555" }]);
});

test("anything but a well-formed query, and unicast datagrams to the port, go unanswered", async () => {
  const r = await responder();
  for (const junk of ["", "x", "{}", '"" extra', "null", new Uint8Array(1200)]) {
    expect(isDiscoveryQuery(typeof junk === "string" ? new TextEncoder().encode(junk) : junk)).toBe(false);
  }
  expect(isDiscoveryQuery(new TextEncoder().encode(' ""\n'))).toBe(true);
  const junk = await ask("x", r.port, GROUP, "127.0.0.1", 5);
  const unicast = await ask('""', r.port, "127.0.0.1");
  const control = await ask('""', r.port, GROUP);
  await control.settle(1);
  expect(junk.answers).toEqual([]);
  expect(unicast.answers).toEqual([]);
});

test("answers are rate-limited, so a forged sender cannot turn the daemon into an amplifier", async () => {
  const r = await responder();
  const q = await ask('""', r.port, GROUP, "127.0.0.1", 200);
  const answers = await q.settle(200, 300);
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.length).toBeLessThanOrEqual(40); // 20 a second, at most two windows
});

test("an empty multicast_endpoint turns discovery off", async () => {
  expect(await startMulticast("", "tcp://127.0.0.1:5555")).toBeNull();
});

test("a non-multicast group, a malformed endpoint or interface is refused with the reason, not a crash", async () => {
  expect(parseMulticastEndpoint("udp://10.0.0.1:12027")).toContain("not a multicast group");
  expect(parseMulticastEndpoint("tcp://237.1.1.1:1")).toContain("udp://");
  expect(parseMulticastEndpoint("udp://237.219.251.97:12027")).toEqual({ group: "237.219.251.97", port: 12027 });
  expect(await startMulticast("udp://10.0.0.1:12027", "x")).toBeNull();
  expect(await startMulticast(`udp://${GROUP}:0`, "x", "eth0")).toBeNull();
});

/** An IPv4 address of this host that is not loopback, if it has one (tests of other interfaces need it). */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

test.if(lan !== undefined)(
  "a query on another interface is answered only when multicast_interface names it",
  async () => {
    const loopbackOnly = await responder();
    const q1 = await ask('""', loopbackOnly.port, GROUP, lan!);
    const onLan = await responder(lan!);
    const q2 = await ask('""', onLan.port, GROUP, lan!);
    expect(await q2.settle(1)).toHaveLength(1);
    expect(q1.answers).toEqual([]);
  },
);
