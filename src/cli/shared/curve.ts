// The CURVE flags every client tool takes (`--curve-server-key`, `--curve-key`, defaulting to
// CIRCUS_CURVE_SERVER_KEY and CIRCUS_CURVE_KEY), read into the keys CircusClient and subscribe use.

import { type ClientCurveKeys, clientCurveKeys, CURVE_KEY_ENV, CURVE_SERVER_KEY_ENV } from "../../protocol/client.ts";

/** The two flags by name, for each tool's parser and help: `--<name> <arg>`. */
export const CURVE_FLAGS = {
  "curve-server-key": {
    arg: "key",
    help: `the daemon's CURVE public key: its .key file or the Z85 text (default $${CURVE_SERVER_KEY_ENV})`,
  },
  "curve-key": {
    arg: "key",
    help: `our CURVE key pair: a .key_secret file or the Z85 secret (default $${CURVE_KEY_ENV})`,
  },
} as const;

/** `[name, {arg, help}]` of each flag, in order. */
export const curveFlagList = () => Object.entries(CURVE_FLAGS);

/** A key that cannot be read, as the one line a tool prints before exiting 2. */
export class CurveFlagError extends Error {
  override readonly name = "CurveFlagError";
}

/** The keys for `--curve-server-key` / `--curve-key` (or the environment); undefined for plain connections. */
export async function curveFromFlags(flags: {
  curveServerKey?: string | null;
  curveKey?: string | null;
}): Promise<ClientCurveKeys | undefined> {
  try {
    return await clientCurveKeys({ serverKey: flags.curveServerKey, key: flags.curveKey });
  } catch (err) {
    throw new CurveFlagError((err as Error).message, { cause: err });
  }
}
