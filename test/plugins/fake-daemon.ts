// A stand-in daemon for plugin tests that need events a real daemon does not send yet (the `reason`
// of reaps): a real ZMTP ROUTER answering requests and a real PUB publishing chosen events. Plugins
// under test run in-process through the same runner `circus plugin` uses.

import { PubSocket, RouterSocket } from "../../src/zmtp/index.ts";
import { getLogger } from "../../src/util/log.ts";
import { runPlugin } from "../../src/plugins/runner.ts";
import type { CircusPlugin, PluginClass } from "../../src/plugins/plugin.ts";
import { waitFor } from "../helpers/daemon.ts";

export interface Request {
  command: string;
  properties: Record<string, unknown>;
  msg_type?: string;
}

export interface FakeDaemon {
  endpoint: string;
  pubsub: string;
  requests: Request[];
  /** Publish one event; waits until a subscriber is there to get it. */
  publish(topic: string, payload: Record<string, unknown>): Promise<void>;
  /** Casts received so far, as `command name` strings. */
  casts(): string[];
  close(): Promise<void>;
}

/** `answer(request)` gives the result fields of the ok reply (options for `options`, …). */
export async function fakeDaemon(answer: (r: Request) => Record<string, unknown> = () => ({})): Promise<FakeDaemon> {
  const router = new RouterSocket();
  const endpoint = await router.bind("tcp://127.0.0.1:0");
  const pub = new PubSocket();
  const pubsub = await pub.bind("tcp://127.0.0.1:0");
  const requests: Request[] = [];
  const dec = new TextDecoder();
  router.onMessage((frames) => {
    const id = frames[0]!;
    const req = JSON.parse(dec.decode(frames[frames.length - 1]!)) as Request & { id: string };
    requests.push(req);
    if (req.msg_type === "cast") return;
    router.send([id, JSON.stringify({ status: "ok", time: Date.now() / 1000, id: req.id, ...answer(req) })]);
  });
  return {
    endpoint,
    pubsub,
    requests,
    async publish(topic, payload) {
      await waitFor(() => pub.subscribersFor(topic) > 0, 5000, "a subscriber on the fake PUB");
      await pub.send([topic, JSON.stringify(payload)]);
    },
    casts: () => requests.filter((r) => r.msg_type === "cast").map((r) => `${r.command} ${r.properties.name}`),
    async close() {
      await router.close();
      await pub.close();
    },
  };
}

export interface InProcessPlugin<P extends CircusPlugin> {
  plugin: P;
  /** Resolves with the exit status when the plugin ends (by itself or after stop()). */
  done: Promise<number>;
  stop(): Promise<number>;
}

/** Run `cls` in this process against `endpoint`/`pubsub` with string options, as `circus plugin` would. */
export async function runInProcess<P extends CircusPlugin>(
  cls: PluginClass,
  daemon: { endpoint: string; pubsub: string },
  config: Record<string, string>,
): Promise<InProcessPlugin<P>> {
  const stopping = new AbortController();
  let ready!: (p: CircusPlugin) => void;
  const started = new Promise<CircusPlugin>((r) => (ready = r));
  const done = runPlugin(cls, {
    endpoint: daemon.endpoint,
    pubsubEndpoint: daemon.pubsub,
    checkDelay: 1,
    config,
    logger: getLogger(`test.${cls.pluginName}`),
    stop: stopping.signal,
    warnUnknown: true,
    onReady: ready,
  });
  const plugin = (await Promise.race([started, done.then((code) => Promise.reject(new Error(`exited ${code}`)))])) as P;
  return {
    plugin,
    done,
    stop: async () => {
      stopping.abort();
      return done;
    },
  };
}
