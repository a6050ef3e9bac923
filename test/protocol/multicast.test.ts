// Discovery: any datagram to the multicast port is answered with the control endpoint.

import { afterEach, expect, test } from "bun:test";
import { parseMulticastEndpoint, startMulticast, type MulticastResponder } from "../../src/protocol/multicast.ts";

const responders: MulticastResponder[] = [];
afterEach(() => {
  for (const r of responders.splice(0)) r.close();
});

test("a datagram sent to the discovery port is answered with the control endpoint", async () => {
  const r = await startMulticast("udp://237.219.251.97:0", "tcp://127.0.0.1:5555");
  expect(r).not.toBeNull();
  responders.push(r!);
  const answer = new Promise<string>((resolve) => {
    void Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s, data) {
          resolve(new TextDecoder().decode(data));
          s.close();
        },
      },
    }).then((client) => client.send("", r!.port, "127.0.0.1"));
  });
  expect(JSON.parse(await answer)).toEqual({ endpoint: "tcp://127.0.0.1:5555" });
});

test("an empty multicast_endpoint turns discovery off", async () => {
  expect(await startMulticast("", "tcp://127.0.0.1:5555")).toBeNull();
});

test("a non-multicast group or a malformed endpoint is refused with the reason, not a crash", async () => {
  expect(parseMulticastEndpoint("udp://10.0.0.1:12027")).toContain("not a multicast group");
  expect(parseMulticastEndpoint("tcp://237.1.1.1:1")).toContain("udp://");
  expect(parseMulticastEndpoint("udp://237.219.251.97:12027")).toEqual({ group: "237.219.251.97", port: 12027 });
  expect(await startMulticast("udp://10.0.0.1:12027", "x")).toBeNull();
});
