// The daemon's [socket:*] sockets: bound before any watcher starts, offered to children by fd.
// so_reuseport sockets are not bound up front; each spawn that names them gets a fresh one (§1.5).

import type { SocketConfig, WatcherConfig } from "../config/types.ts";
import { bindSocket, closeSocket, pollReadable, type BoundSocket, type SocketSpec } from "../os/sockets.ts";
import { SocketBindError } from "./errors.ts";

/** A bound socket as `listsockets` shows it. */
export interface CircusSocket {
  name: string;
  fd: number;
  host: string;
  port: number;
  path: string | null;
  backlog: number;
  config: SocketConfig;
  bound: BoundSocket;
}

function specOf(cfg: SocketConfig): SocketSpec {
  return {
    family: cfg.family,
    type: cfg.type,
    proto: cfg.proto,
    host: cfg.host,
    port: cfg.port,
    path: cfg.path,
    backlog: cfg.backlog,
    umask: cfg.umask,
    replace: cfg.replace,
    interface: cfg.interface,
    reusePort: cfg.so_reuseport,
    blocking: cfg.blocking,
  };
}

export class SocketRegistry {
  private readonly bound = new Map<string, CircusSocket>();
  /** so_reuseport sockets, bound per spawn. */
  private readonly perSpawn = new Map<string, SocketConfig>();

  /** Bind one socket (or register it for per-spawn binding); a bind failure throws SocketBindError. */
  async add(cfg: SocketConfig): Promise<void> {
    const name = cfg.name.toLowerCase();
    if (cfg.so_reuseport) {
      this.perSpawn.set(name, cfg);
      return;
    }
    let bound: BoundSocket;
    try {
      bound = await bindSocket(specOf(cfg));
    } catch (err) {
      throw new SocketBindError(name, cfg.source ? `${cfg.source.file}:${cfg.source.line}` : null, err);
    }
    this.bound.set(name, {
      name,
      fd: bound.fd,
      host: bound.host,
      port: bound.port,
      path: bound.path,
      backlog: bound.backlog,
      config: cfg,
      bound,
    });
  }

  /** Bind all, closing what was bound if one fails (startup is all or nothing). */
  static async bindAll(configs: SocketConfig[]): Promise<SocketRegistry> {
    const registry = new SocketRegistry();
    try {
      for (const cfg of configs) await registry.add(cfg);
    } catch (err) {
      registry.closeAll();
      throw err;
    }
    return registry;
  }

  get(name: string): CircusSocket | undefined {
    return this.bound.get(name.toLowerCase());
  }

  configs(): SocketConfig[] {
    return [...[...this.bound.values()].map((s) => s.config), ...this.perSpawn.values()];
  }

  /** Bound sockets sorted by fd (the `listsockets` order). */
  list(): CircusSocket[] {
    return [...this.bound.values()].sort((a, b) => a.fd - b.fd);
  }

  fds(): number[] {
    return this.list().map((s) => s.fd);
  }

  close(name: string): void {
    const key = name.toLowerCase();
    const sock = this.bound.get(key);
    if (sock) closeSocket(sock.bound);
    this.bound.delete(key);
    this.perSpawn.delete(key);
  }

  closeAll(): void {
    for (const name of [...this.bound.keys(), ...this.perSpawn.keys()]) this.close(name);
  }

  /**
   * The sockets one spawn of `watcher` may inherit: every bound socket, plus a fresh socket for each
   * so_reuseport one its raw cmd names as `circus.sockets.<name>`; `release` closes those fresh ones in
   * the daemon once the child holds its copy.
   */
  async forSpawn(watcher: WatcherConfig): Promise<{ fds: Map<string, number>; release(): void }> {
    const fds = new Map<string, number>();
    for (const [name, sock] of this.bound) fds.set(name, sock.fd);
    const fresh: BoundSocket[] = [];
    try {
      for (const [name, cfg] of this.perSpawn) {
        if (!watcher.cmd.includes(`circus.sockets.${name}`)) continue;
        const bound = await bindSocket(specOf(cfg));
        fresh.push(bound);
        fds.set(name, bound.fd);
      }
    } catch (err) {
      // A later bind failed: the ones already bound for this spawn would leak an fd per attempt.
      for (const b of fresh) closeSocket(b);
      throw err;
    }
    return {
      fds,
      release: () => {
        for (const b of fresh) closeSocket(b);
      },
    };
  }

  /** True when a pending connection or datagram waits on any of `fds` (zero-timeout poll). */
  readable(fds: number[]): boolean {
    return pollReadable(fds, 0).length > 0;
  }
}
