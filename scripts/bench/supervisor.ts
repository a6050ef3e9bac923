// Debian's supervisord as the benchmarks' peer: a config with its XML-RPC socket, the daemon started in
// the foreground, and the RPC calls the benchmarks make (run `bash scripts/bench/peers.sh` to install it).

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitUntil } from "./common.ts";

/** supervisord.conf text for `dir` with one `[program:…]` section (given whole). */
export function supervisorConfig(dir: string, program: string): string {
  return (
    `[unix_http_server]\nfile=${join(dir, "supervisor.sock")}\n\n` +
    `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nnodaemon=true\nloglevel=warn\n` +
    `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
    // What `supervisorctl -c supervisord.conf` talks to.
    `[supervisorctl]\nserverurl=unix://${join(dir, "supervisor.sock")}\n\n` +
    program
  );
}

export interface Supervisord {
  proc: Subprocess;
  /** One XML-RPC call with string parameters; resolves with the raw XML reply. */
  rpc(method: string, params: string[]): Promise<string>;
}

/** Write the config into `dir`, start supervisord on it and wait until its RPC socket answers. */
export async function startSupervisord(dir: string, program: string): Promise<Supervisord> {
  const config = join(dir, "supervisord.conf");
  const socket = join(dir, "supervisor.sock");
  writeFileSync(config, supervisorConfig(dir, program));
  const proc = Bun.spawn(["supervisord", "-c", config], { stdio: ["ignore", "ignore", "ignore"] });
  await waitUntil(() => existsSync(socket), 10000, "supervisor socket", 20);
  await Bun.sleep(200);
  return {
    proc,
    async rpc(method, params) {
      const body =
        `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>` +
        params.map((p) => `<param><value><string>${p}</string></value></param>`).join("") +
        `</params></methodCall>`;
      const response = await fetch("http://localhost/RPC2", {
        method: "POST",
        body,
        unix: socket,
        headers: { "Content-Type": "text/xml" },
      });
      return response.text();
    },
  };
}
