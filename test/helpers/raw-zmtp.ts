// A hand-driven TCP/unix client for feeding exact bytes to a ZMTP server: handshakes by hand,
// sends garbage, and records what the server sends back and whether it hung up.

import type { Socket } from "bun";
import { encodeCommand, encodeMessage, FLAG_COMMAND, FrameDecoder, parseCommand } from "../../src/zmtp/frames.ts";
import { encodeGreeting } from "../../src/zmtp/greeting.ts";
import { encodeProperties } from "../../src/zmtp/handshake.ts";

export interface RawPeer {
  write(bytes: Uint8Array): void;
  /** Greeting (3.`minor`) plus READY with this socket type. */
  handshake(type: string, minor?: 0 | 1): void;
  /** Data messages received after the server's greeting. */
  readonly messages: Uint8Array[][];
  /** Command names received (READY, ERROR, …). */
  readonly commands: string[];
  /** The data of each command received, in the same order as `commands`. */
  readonly commandData: Uint8Array[];
  readonly closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

/** Connect a raw peer to a tcp port, or to a unix path when `target` is a string. */
export async function rawPeer(target: number | string): Promise<RawPeer> {
  const messages: Uint8Array[][] = [];
  const commands: string[] = [];
  const commandData: Uint8Array[] = [];
  let greetingLeft = 64;
  const decoder = new FrameDecoder();
  let parts: Uint8Array[] = [];
  let done = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const handler = {
    data(_s: Socket<undefined>, chunk: Uint8Array) {
      let c = chunk;
      if (greetingLeft > 0) {
        const n = Math.min(greetingLeft, c.length);
        greetingLeft -= n;
        c = c.subarray(n);
      }
      if (c.length === 0) return;
      decoder.push(c, (body, flags) => {
        if (flags & FLAG_COMMAND) {
          const cmd = parseCommand(body);
          commands.push(cmd.name);
          return void commandData.push(cmd.data.slice());
        }
        parts.push(body.slice());
        if (!(flags & 1)) {
          messages.push(parts);
          parts = [];
        }
      });
    },
    close() {
      done = true;
      markClosed();
    },
  };
  const sock =
    typeof target === "number"
      ? await Bun.connect({ hostname: "127.0.0.1", port: target, socket: handler })
      : await Bun.connect({ unix: target, socket: handler });
  const enc = new TextEncoder();
  return {
    write: (b) => void sock.write(b),
    handshake(type, minor = 1) {
      sock.write(encodeGreeting(minor));
      sock.write(encodeCommand("READY", encodeProperties([["Socket-Type", enc.encode(type)]])));
    },
    messages,
    commands,
    commandData,
    closed,
    isClosed: () => done,
    end: () => sock.end(),
  };
}

export const enc = (s: string) => new TextEncoder().encode(s);
/** A one-frame message as wire bytes. */
export const wireMessage = (...frames: Uint8Array[]) => encodeMessage(frames);
export const wireCommand = encodeCommand;
