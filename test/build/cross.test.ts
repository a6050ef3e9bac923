// slow: `scripts/build.ts --all` cross-builds the four Linux binaries; the arm64 one is run for real
// under qemu-user (Debian's qemu-user + arm64 glibc), the musl ones are checked for their loader.

import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon } from "../helpers/daemon.ts";
import { ROOT } from "../helpers/paths.ts";
import { waitExec } from "../helpers/processes.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";

const TARGETS = {
  "circus-linux-x64": { machine: 62, loader: "/lib64/ld-linux-x86-64.so.2" },
  "circus-linux-arm64": { machine: 183, loader: "/lib/ld-linux-aarch64.so.1" },
  "circus-linux-x64-musl": { machine: 62, loader: "/lib/ld-musl-x86_64.so.1" },
  "circus-linux-arm64-musl": { machine: 183, loader: "/lib/ld-musl-aarch64.so.1" },
};
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
/** Built here rather than in dist/, whose circus the other test files are running meanwhile. */
const out = tempDir("circus-cross-");

beforeAll(() => {
  const build = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--all", "--outdir", out], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build --all failed:\n${build.stderr}`);
}, 300000);

/** ELF e_machine and the PT_INTERP path of a 64-bit little-endian executable. */
function elfInfo(path: string): { machine: number; loader: string } {
  const bytes = readFileSync(path).subarray(0, 1 << 16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(bytes.subarray(0, 4).toString()).toBe("\x7fELF");
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) === 3) {
      const offset = Number(view.getBigUint64(at + 8, true));
      const size = Number(view.getBigUint64(at + 32, true));
      return { machine: view.getUint16(0x12, true), loader: bytes.subarray(offset, offset + size - 1).toString() };
    }
  }
  throw new Error(`${path} has no program interpreter`);
}

describe("slow: cross-built binaries", () => {
  test("each target has the right CPU and C library loader", () => {
    for (const [name, want] of Object.entries(TARGETS)) {
      expect({ name, ...elfInfo(join(out, name)) }).toEqual({ name, ...want });
    }
  });

  test("the arm64 binary runs under qemu-user: version, and a daemon that spawns and answers", async () => {
    const qemu = Bun.which("qemu-aarch64");
    if (!qemu) throw new Error("qemu-aarch64 is required (scripts/setup.sh installs qemu-user)");
    const arm = [qemu, "-L", ARM64_SYSROOT, join(out, "circus-linux-arm64")];
    const version = Bun.spawnSync([...arm, "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(version.stdout.toString()).toMatch(/^circus \d+\.\d+\.\d+\n$/);

    // Workers are host binaries; no rlimits/uid, since the launcher would re-exec the arm64 binary natively.
    const daemon = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n[watcher:s]\ncmd = /bin/sleep 300\nnumprocesses = 2\n",
      [],
      { command: arm, readyTimeoutMs: 30_000 },
    );
    const pids = await waitFor(
      async () => {
        const reply = await daemon.call("list", { name: "s" });
        return reply.status === "ok" && (reply.pids as number[]).length === 2 ? (reply.pids as number[]) : null;
      },
      20000,
      "the emulated daemon to run 2 workers",
    );
    // Under qemu-user the child is the emulator until its exec completes: wait for the exec.
    for (const pid of pids) await waitExec(pid, "sleep", 20_000);
    for (const pid of pids) expect(readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("sleep");
    expect((await daemon.call("quit", { waiting: true })).status).toBe("ok");
    expect(await daemon.proc.exited).toBe(0);
  }, 60000);
});
