// The daemon's [socket:*] sockets: bound before any watcher starts, offered to children by fd. A
// worker finds each socket at the fd number the daemon holds it under, which `listsockets` reports and
// `$(circus.sockets.NAME)` expands to (Circus passes its own fds). so_reuseport sockets are held unbound
// (an fd number, listed like the others); each spawn that names one gets a fresh bound socket at that
// number (§1.5).

import type { SocketConfig, WatcherConfig } from "../config/types.ts";
import {
  bindSocket,
  closeSocket,
  openUnboundSocket,
  pollReadable,
  type BoundSocket,
  type SocketSpec,
} from "../os/sockets.ts";
import { SocketBindError } from "./errors.ts";
import type { HandedSocket } from "./handover.ts";
import { closeFd } from "../os/fs.ts";

/** A socket as `listsockets` shows it. */
export interface CircusSocket {
  name: string;
  fd: number;
  host: string;
  port: number;
  path: string | null;
  backlog: number;
  config: SocketConfig;
  bound: BoundSocket;
  /** so_reuseport: `fd` is an unbound placeholder; each spawn binds its own socket. */
  perSpawn: boolean;
}

/** One socket offered to a spawn: the daemon's fd to hand over, and the fd number the child gets it as. */
export interface SpawnSocket {
  fd: number;
  childFd: number;
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
  private readonly sockets = new Map<string, CircusSocket>();

  /** Bind one socket (or hold an so_reuseport placeholder); a failure throws SocketBindError. */
  async add(cfg: SocketConfig): Promise<void> {
    const name = cfg.name.toLowerCase();
    let bound: BoundSocket;
    try {
      bound = cfg.so_reuseport ? await openUnboundSocket(specOf(cfg)) : await bindSocket(specOf(cfg));
    } catch (err) {
      throw new SocketBindError(name, cfg.source ? `${cfg.source.file}:${cfg.source.line}` : null, err);
    }
    this.sockets.set(name, {
      name,
      fd: bound.fd,
      host: bound.host,
      port: bound.port,
      path: bound.path,
      backlog: bound.backlog,
      config: cfg,
      bound,
      perSpawn: cfg.so_reuseport,
    });
  }

  /**
   * Bind all, closing what was bound if one fails (startup is all or nothing). After a daemon upgrade,
   * `handed` are the sockets the previous image held: a configured socket of the same name takes its
   * fd as it is (still listening, same fd number the workers know); the others are closed.
   */
  static async bindAll(configs: SocketConfig[], handed: HandedSocket[] = []): Promise<SocketRegistry> {
    const registry = new SocketRegistry();
    const byName = new Map(handed.map((h) => [h.name, h]));
    try {
      for (const cfg of configs) {
        const previous = byName.get(cfg.name.toLowerCase());
        byName.delete(cfg.name.toLowerCase());
        if (previous) registry.keep(cfg, previous);
        else await registry.add(cfg);
      }
    } catch (err) {
      registry.closeAll();
      throw err;
    } finally {
      for (const gone of byName.values()) closeFd(gone.fd);
    }
    return registry;
  }

  /** Take a socket handed over by the previous daemon image. */
  private keep(cfg: SocketConfig, h: HandedSocket): void {
    const bound: BoundSocket = {
      fd: h.fd,
      family: cfg.family,
      type: cfg.type,
      host: h.host,
      port: h.port,
      path: h.path,
      backlog: h.backlog,
    };
    const name = cfg.name.toLowerCase();
    this.sockets.set(name, { ...h, name, config: cfg, bound, perSpawn: cfg.so_reuseport });
  }

  /** What a daemon upgrade hands to the next image: every socket with its fd. */
  handOver(): HandedSocket[] {
    return this.list().map((s) => ({
      name: s.name,
      fd: s.fd,
      host: s.host,
      port: s.port,
      path: s.path,
      backlog: s.backlog,
    }));
  }

  get(name: string): CircusSocket | undefined {
    return this.sockets.get(name.toLowerCase());
  }

  configs(): SocketConfig[] {
    return [...this.sockets.values()].map((s) => s.config);
  }

  /** Every socket sorted by fd (the `listsockets` order), so_reuseport ones included. */
  list(): CircusSocket[] {
    return [...this.sockets.values()].sort((a, b) => a.fd - b.fd);
  }

  fds(): number[] {
    return this.list().map((s) => s.fd);
  }

  close(name: string): void {
    const key = name.toLowerCase();
    const sock = this.sockets.get(key);
    // A placeholder never bound its path: the file there (if any) belongs to a worker.
    if (sock) closeSocket(sock.perSpawn ? { ...sock.bound, path: null } : sock.bound);
    this.sockets.delete(key);
  }

  closeAll(): void {
    for (const name of [...this.sockets.keys()]) this.close(name);
  }

  /**
   * The sockets one spawn of `watcher` may inherit, each at its listed fd number: every bound socket,
   * plus a fresh socket for each so_reuseport one its raw cmd names as `circus.sockets.<name>`;
   * `release` closes those fresh ones in the daemon once the child holds its copy.
   */
  async forSpawn(watcher: WatcherConfig): Promise<{ fds: Map<string, SpawnSocket>; release(): void }> {
    const fds = new Map<string, SpawnSocket>();
    const fresh: BoundSocket[] = [];
    try {
      for (const [name, sock] of this.sockets) {
        if (!sock.perSpawn) fds.set(name, { fd: sock.fd, childFd: sock.fd });
        else if (watcher.cmd.includes(`circus.sockets.${name}`)) {
          const bound = await bindSocket(specOf(sock.config));
          fresh.push(bound);
          fds.set(name, { fd: bound.fd, childFd: sock.fd });
        }
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
