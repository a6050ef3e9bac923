import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import type { SocketConfig } from "../../src/config/types.ts";
import { SocketRegistry } from "../../src/arbiter/sockets.ts";
import { socketCfg as sharedSocketCfg, wcfg } from "./helpers.ts";

/** Reuse-port sockets: the registry tests bind the same port again. */
const socketCfg = (name: string, extra: Partial<SocketConfig> = {}) =>
  sharedSocketCfg(name, { so_reuseport: true, ...extra });

/**
 * This process's fds that are listening tcp sockets, as a leaked fresh so_reuseport bind would be. Not all
 * its fds: the test worker also runs what other test files left behind (a client reconnecting somewhere
 * opens and closes an fd at each try), which changed a plain count while the loop below ran.
 */
function listeningFds(): number {
  const listening = new Set(
    readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cells) => cells[3] === "0A")
      .map((cells) => cells[9]),
  );
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return listening.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

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
      const before = listeningFds();
      for (let i = 0; i < 10; i++) await expect(registry.forSpawn(watcher)).rejects.toThrow();
      expect(listeningFds()).toBeLessThanOrEqual(before);
    } finally {
      registry.closeAll();
    }
  });
});
