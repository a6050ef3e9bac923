// `circus keygen NAME [--dir D]`: make a CURVE key pair as D/NAME.key (public, to hand out) and
// D/NAME.key_secret (mode 0600), in the certificate format pyzmq and CZMQ read and write.

import { cac } from "cac";
import { VERSION } from "../version.ts";
import { CurveKeyError, writeCertificatePair, z85Encode } from "../zmtp/index.ts";

interface KeygenFlags {
  dir: string;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac("circus keygen");
  cli
    .usage("NAME [--dir D]\n\nWrites D/NAME.key (the public key) and D/NAME.key_secret (both keys, mode 0600).")
    .option("--dir <dir>", "directory to write the two files in (must exist)", { default: "." })
    .help()
    .version(VERSION);
  return cli;
}

/** Write the pair; resolves with the exit code (2 for a usage error, 1 when the files cannot be written). */
export async function runKeygen(argv: string[]): Promise<number> {
  const cli = buildParser();
  let parsed: { args: readonly string[]; options: KeygenFlags };
  try {
    parsed = cli.parse(["", "", ...argv], { run: false }) as typeof parsed;
  } catch (error) {
    process.stderr.write(`circus keygen: ${(error as Error).message}\n`);
    return 2;
  }
  const flags = parsed.options;
  if (flags.help || flags.version) return 0;
  const [name, ...extra] = parsed.args;
  if (name === undefined || extra.length > 0) {
    process.stderr.write("circus keygen: give one NAME, e.g. `circus keygen server --dir /etc/circus/keys`\n");
    return 2;
  }
  const dir = String(flags.dir);
  const stat = await Bun.file(dir)
    .stat()
    .catch(() => null); // absent: reported just below
  if (!stat?.isDirectory()) {
    process.stderr.write(`circus keygen: --dir ${dir} is not a directory; create it first\n`);
    return 1;
  }
  try {
    const { publicFile, secretFile, keyPair } = await writeCertificatePair(dir, name);
    process.stdout.write(
      `public key: ${z85Encode(keyPair.publicKey)}\n` +
        `wrote ${publicFile} (public: give it to the peers that must trust this key)\n` +
        `wrote ${secretFile} (secret, mode 0600: keep it on this host)\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof CurveKeyError)) throw error;
    process.stderr.write(`circus keygen: ${error.message}\n`);
    return 1;
  }
}
