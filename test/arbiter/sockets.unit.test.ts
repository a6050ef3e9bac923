import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import type { SocketConfig } from "../../src/config/types.ts";
import { SocketRegistry } from "../../src/arbiter/sockets.ts";
import { socketCfg as sharedSocketCfg, wcfg } from "./helpers.ts";

/** Reuse-port sockets: the registry tests bind the same port again. */
const socketCfg = (name: string, extra: Partial<SocketConfig> = {}) =>
  sharedSocketCfg(name, { so_reuseport: true, ...extra });

const openFds = () => readdirSync("/proc/self/fd").length;

describe("SocketRegistry.forSpawn", () => {
  test("a failed so_reuseport bind closes the fresh sockets already bound for that spawn", async () => {
    const registry = await SocketRegistry.bindAll([
      socketCfg("good"),
      socketCfg("bad", { host: "192.0.2.1" }), // TEST-NET-1: not a local address, bind fails (EADDRNOTAVAIL)
    ]);
    const watcher = wcfg({
      name: "w",
      cmd: "sleep 30 $(circus.sockets.good) $(circus.sockets.bad)",
      use_sockets: true,
    });
    try {
      await expect(registry.forSpawn(watcher)).rejects.toThrow();
      const before = openFds();
      for (let i = 0; i < 10; i++) await expect(registry.forSpawn(watcher)).rejects.toThrow();
      expect(openFds()).toBeLessThanOrEqual(before);
    } finally {
      registry.closeAll();
    }
  });
});
