// The control endpoint: a ROUTER socket answering each request with exactly one JSON frame, DEALER
// (`[id, body]`) and REQ (`[id, "", body]`) alike. Unlike circusd, every unusable message gets an
// error reply instead of silence — except `msg_type: "cast"`, which is never answered.

import { lchown } from "../os/fs.ts";
import { getLogger } from "../util/log.ts";
import { resolveUser } from "../os/users.ts";
import { parseEndpoint, type PeerInfo, RouterSocket, type SocketOptions } from "../zmtp/index.ts";
import type { Requester } from "./boundary.ts";
import type { CommandContext, Json, Reply } from "./command.ts";
import { dispatch, type Outcome } from "./dispatch.ts";
import { Errno } from "./errors.ts";
import { encodeReply, errorReply } from "./messages.ts";

const log = getLogger("circus.controller");

export interface ControllerOptions {
  /** chown an ipc socket file to this user after binding (Circus's `endpoint_owner`). */
  endpointOwner?: string | null;
  /** Mode of an ipc socket file from its creation; default 0600 (only its owner may send commands). */
  ipcMode?: number;
  /** CURVE, the connection cap and the admission check of the ROUTER. */
  socket?: SocketOptions;
  /** Who a peer is, for the commands (`ctx.requester`); default: nobody in particular. */
  requester?: (peer: PeerInfo | undefined) => Requester;
  /** An inherited listening fd to serve `endpoint` on (after a daemon upgrade). */
  fd?: number;
}

export class Controller {
  /** Requests whose reply is still being worked out (a `--waiting` start, say), by their envelope. */
  private readonly inFlight = new Map<Uint8Array[], Uint8Array>();

  private constructor(
    private readonly socket: RouterSocket,
    readonly endpoint: string,
    private readonly requester: ControllerOptions["requester"],
  ) {}

  /** Bind the ROUTER at `endpoint` and start answering requests with `ctx`. */
  static async bind(endpoint: string, ctx: CommandContext, options: ControllerOptions = {}): Promise<Controller> {
    const socket = new RouterSocket(options.socket);
    const resolved = await socket.bind(endpoint, { ipcMode: options.ipcMode ?? 0o600, fd: options.fd });
    try {
      secureIpcFile(resolved, options);
    } catch (err) {
      await socket.close();
      throw err;
    }
    const controller = new Controller(socket, resolved, options.requester);
    socket.onMessage((frames) => controller.handle(ctx, frames));
    return controller;
  }

  /** The listening socket's fd (handed over by a daemon upgrade). */
  get listeningFd(): number {
    return this.socket.listeningFds[0] ?? -1;
  }

  /** Close the connections `filter` picks (a CURVE key no longer authorized); returns how many. */
  disconnect(filter: (peer: PeerInfo) => boolean): number {
    return this.socket.disconnect(filter);
  }

  private handle(shared: CommandContext, frames: Uint8Array[]): void {
    const ctx = this.requester ? { ...shared, requester: this.requester(this.socket.peerOf(frames[0]!)) } : shared;
    // frames[0] is the routing id; a REQ peer puts an empty delimiter before its body.
    const isReq = frames.length >= 3 && frames[1]!.length === 0;
    const envelope = isReq ? frames.slice(0, 2) : frames.slice(0, 1);
    const body = frames.slice(envelope.length);
    let outcome: Outcome | Promise<Outcome>;
    if (body.length !== 1) {
      outcome = errorReply(
        null,
        Errno.MESSAGE_ERROR,
        `invalid message: expected one JSON frame, got ${body.length} frames`,
      );
    } else {
      try {
        outcome = dispatch(ctx, body[0]!);
      } catch (err) {
        // dispatch never throws by design; this is the last line of defence for the daemon.
        log.error(`request handling failed: ${(err as Error)?.stack ?? String(err)}`);
        outcome = errorReply(null, Errno.COMMAND_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    if (outcome instanceof Promise) {
      this.inFlight.set(envelope, body[0]!);
      outcome.then(
        (r) => {
          // Answered already by answerInFlight: one reply per request.
          if (this.inFlight.delete(envelope)) this.reply(envelope, r);
        },
        (err) => {
          this.inFlight.delete(envelope);
          log.error(`request handling failed: ${String(err)}`);
        },
      );
    } else this.reply(envelope, outcome);
  }

  /**
   * Answer every request still being worked on with an error saying `reason` (the daemon is about to
   * re-execute itself: their connections close, and a pyzmq client would otherwise wait in silence).
   * Returns how many were answered.
   */
  answerInFlight(reason: string): number {
    let answered = 0;
    for (const [envelope, body] of this.inFlight) {
      let request: { id?: Json; command?: Json } = {};
      try {
        request = JSON.parse(new TextDecoder().decode(body)) as typeof request;
      } catch {
        // A request that did not parse was answered at once: never in flight.
      }
      // `logs` long-polls: its follower asks again once the new daemon answers, from the same cursor.
      if (request.command === "logs") continue;
      this.inFlight.delete(envelope);
      this.reply(envelope, errorReply(request.id ?? null, Errno.COMMAND_ERROR, reason));
      answered++;
    }
    return answered;
  }

  private reply(envelope: Uint8Array[], reply: Reply | null): void {
    if (reply === null) return;
    envelope.push(encodeReply(reply));
    // The client went away or its queue is full: nothing more to do (libzmq drops too).
    this.socket.send(envelope).catch((e: Error) => log.debug(`reply dropped: ${e.message}`));
  }

  /** Stop serving; replies already sent (the `quit` reply among them) get up to a second to reach their clients. */
  async close(): Promise<void> {
    await this.socket.close({ lingerMs: REPLY_LINGER_MS });
  }
}

/** How long a closing controller waits for queued replies to be written. */
const REPLY_LINGER_MS = 1000;

/**
 * Hand an ipc socket file to `endpoint_owner`; tcp endpoints are left alone. Its mode was set at the bind
 * (ipcMode). By name, but without following a link: in a directory the owner may write, the owner could
 * swap the fresh socket for a link to /etc/shadow in the instant after the bind, and a chown or chmod
 * through it would hand that file over.
 */
export function secureIpcFile(endpoint: string, options: ControllerOptions): void {
  const ep = parseEndpoint(endpoint);
  if (ep.transport !== "ipc" || ep.abstract) return;
  if (options.endpointOwner) {
    const user = resolveUser(options.endpointOwner);
    lchown(ep.path, user.uid, -1);
  }
}
