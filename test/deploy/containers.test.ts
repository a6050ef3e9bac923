// The container recipes of examples/deploy, tried for real: the Dockerfile's ENTRYPOINT with the files
// it copies runs as PID 1 of a new pid namespace (unshare, as a container runtime would start it), the
// health endpoint answers at the address the config gives it from POD_IP, the workers of
// container.ini become ready and serve, and SIGTERM (`docker stop`) ends it with 0; the Kubernetes
// pod's probes point at that endpoint.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  circusCommand,
  childrenOf,
  freePort,
  ROOT,
  type RunningDaemon,
  startDaemon,
  waitFor,
} from "../helpers/daemon.ts";
import { within } from "../helpers/wait.ts";

const DEPLOY = join(ROOT, "examples/deploy");
const read = (name: string) => readFileSync(join(DEPLOY, name), "utf8");

let daemon: RunningDaemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

/** The Dockerfile's COPY lines (image path → repository path) and its ENTRYPOINT and ENV. */
function dockerfile() {
  const lines = read("Dockerfile")
    .split("\n")
    .filter((l) => !l.startsWith("#"));
  const copies = new Map<string, string>();
  const env = new Map<string, string>();
  let entrypoint: string[] = [];
  for (const line of lines) {
    const copy = /^COPY (\S+) (\S+)$/.exec(line);
    if (copy) copies.set(copy[2]!, join(ROOT, copy[1]!));
    const setting = /^ENV (\w+)=(\S+)$/.exec(line);
    if (setting) env.set(setting[1]!, setting[2]!);
    if (line.startsWith("ENTRYPOINT ")) entrypoint = JSON.parse(line.slice("ENTRYPOINT ".length)) as string[];
  }
  return { copies, env, entrypoint };
}

/** The port of `[circus] health` in container.ini. */
function healthPort(ini: string): number {
  return Number(/^health = \$\(circus\.env\.POD_IP\):(\d+)$/m.exec(ini)![1]);
}

describe("examples/deploy/Dockerfile", () => {
  test("its entrypoint runs container.ini as PID 1: ready workers, /healthz and /readyz on POD_IP, exit 0 on SIGTERM", async () => {
    const { copies, env, entrypoint } = dockerfile();
    expect(entrypoint.slice(1, 2)).toEqual(["daemon"]);
    const [binary, , configInImage] = entrypoint;
    // What the image holds at those paths: the binary, this config, the app.
    expect(copies.get(binary!)).toBe(join(ROOT, "dist/circus"));
    expect(copies.get(configInImage!)).toBe(join(DEPLOY, "container.ini"));
    expect(env.get("POD_IP")).toBe("0.0.0.0");
    let ini = read("container.ini");
    const health = freePort();
    const web = freePort();
    const app = [...copies.entries()].find(([image]) => ini.includes(image) && /\.m?js$/.test(image))!;
    // The image's paths and fixed ports become this checkout's files and free ports.
    ini = ini
      .replace("tcp://127.0.0.1:5555", "{endpoint}")
      .replace("tcp://127.0.0.1:5556", "{pubsub}")
      .replace(`:${healthPort(ini)}`, `:${health}`)
      .replace("port = 8080", `port = ${web}`)
      .replace(app[0], app[1]);
    daemon = await startDaemon(ini, [], {
      wrap: ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"],
      command: circusCommand(),
      // As the pod gives it: the pod's address (loopback here).
      env: { ...process.env, POD_IP: "127.0.0.1" },
      readyTimeoutMs: 20000,
    });
    const d = daemon;
    expect(d.output()).toContain("(pid 1)");
    const base = `http://127.0.0.1:${health}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 20000, "/readyz 200");
    const ready = (await (await fetch(`${base}/readyz`)).json()) as {
      watchers: { name: string; status: string; readyProcesses: number }[];
    };
    expect(ready.watchers).toEqual([expect.objectContaining({ name: "web", status: "active", readyProcesses: 4 })]);
    const answer = (await (await fetch(`http://127.0.0.1:${web}/`)).json()) as { pid: number };
    expect(answer.pid).toBeGreaterThan(1);
    // `docker stop`: SIGTERM to PID 1, which stops the workers and exits 0.
    const pid1 = await waitFor(() => childrenOf(d.proc.pid)[0], 5000, "the daemon under unshare");
    process.kill(pid1, "SIGTERM");
    expect(await within(d.proc.exited, 30000, "the daemon to exit")).toBe(0);
  }, 60000);
});

describe("README's Dockerfile", () => {
  test("is examples/deploy/Dockerfile without its comments", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /<!-- example:dockerfile -->\n```dockerfile\n([\s\S]*?)```/.exec(readme)![1]!;
    const instructions = read("Dockerfile")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(block.trimEnd().split("\n")).toEqual(instructions);
  });
});

describe("examples/deploy/kubernetes-pod.yaml", () => {
  test("probes the health endpoint on the pod's address, and waits longer than graceful_timeout at a stop", () => {
    const pod = Bun.YAML.parse(read("kubernetes-pod.yaml")) as {
      spec: {
        terminationGracePeriodSeconds: number;
        containers: {
          image: string;
          env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
          ports: { name: string; containerPort: number }[];
          livenessProbe: { httpGet: { path: string; port: string } };
          readinessProbe: { httpGet: { path: string; port: string } };
          startupProbe: { httpGet: { path: string; port: string } };
        }[];
      };
    };
    const ini = read("container.ini");
    const [container] = pod.spec.containers;
    // The image the Dockerfile's build line names.
    expect(read("Dockerfile")).toContain(`-t ${container!.image.replace(/:latest$/, "")} .`);
    expect(container!.env).toContainEqual({ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
    const port = container!.ports.find((p) => p.name === container!.livenessProbe.httpGet.port)!;
    expect(port.containerPort).toBe(healthPort(ini));
    expect(container!.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container!.readinessProbe.httpGet).toEqual({ path: "/readyz", port: port.name });
    expect(container!.startupProbe.httpGet).toEqual({ path: "/readyz", port: port.name });
    expect(container!.ports.find((p) => p.name === "http")!.containerPort).toBe(
      Number(/^port = (\d+)$/m.exec(ini)![1]),
    );
    const graceful = Number(/^graceful_timeout = (\d+)$/m.exec(ini)![1]);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(graceful);
  });
});
