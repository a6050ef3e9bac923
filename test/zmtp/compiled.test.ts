import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { z85Encode } from "../../src/zmtp/index.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { killAllPeers, REPO, removeTempDirs, spawnPeer, tempDir } from "../helpers/peers.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  removeTempDirs();
});

describe("slow: compiled binary", () => {
  test("a `bun build --compile` binary using src/zmtp answers a pyzmq DEALER, plain and over CURVE", async () => {
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

    const keys = generateKeyPair();
    const client = generateKeyPair();
    const curveServer = spawnPeer([out, "tcp://127.0.0.1:0", z85Encode(keys.secretKey)], "compiled CURVE zmtp-echo");
    const curveEndpoint = await curveServer.waitFor("READY");
    const secure = await pyZmq({
      type: "DEALER",
      connect: [curveEndpoint],
      curve: {
        serverKey: z85Encode(keys.publicKey),
        publicKey: z85Encode(client.publicKey),
        secretKey: z85Encode(client.secretKey),
      },
    });
    secure.send(["sealed"]);
    expect(await secure.recvText()).toEqual(["sealed"]);
  }, 60_000);
});
