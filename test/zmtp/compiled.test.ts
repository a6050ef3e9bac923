import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { killAllPeers, REPO, removeTempDirs, spawnPeer, tempDir } from "../helpers/peers.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  removeTempDirs();
});

describe("slow: compiled binary", () => {
  test("a `bun build --compile` binary using src/zmtp answers a pyzmq DEALER", async () => {
    const out = join(tempDir(), "zmtp-echo");
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", join(REPO, "test/fixtures/zmtp-echo.ts"), "--outfile", out],
      {
        cwd: REPO,
        stderr: "pipe",
        stdout: "pipe",
      },
    );
    expect(build.exitCode, build.stderr.toString()).toBe(0);
    const server = spawnPeer([out, "tcp://127.0.0.1:0"], "compiled zmtp-echo");
    const endpoint = await server.waitFor("READY");
    const py = await pyZmq({ type: "DEALER", connect: [endpoint], identity: "py" });
    py.send(["from", "python"]);
    expect(await py.recvText()).toEqual(["from", "python"]);
  }, 60_000);
});
