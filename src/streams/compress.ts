// gzip a rotated file next to itself (app.log.1 → app.log.1.gz) chunk by chunk, so a large file never
// blocks the event loop; the original is removed only once the .gz is complete. Log directories may be
// writable by the workers, so neither file is reached through a symbolic link: a planted link would
// have the daemon copy a file it can read into one the worker can, or overwrite one it can write.

import { createExclusive, openReadNoFollow } from "../os/fs.ts";
import { nodeFs } from "../util/node.ts";

export async function gzipFile(path: string): Promise<string> {
  const fs = nodeFs();
  const target = `${path}.gz`;
  const partial = `${target}.partial`;
  const source = openReadNoFollow(path);
  let sink: number;
  try {
    fs.rmSync(partial, { force: true }); // a leftover of a crash, or a planted link: removed, not followed
    sink = createExclusive(partial, 0o644);
  } catch (err) {
    fs.closeSync(source);
    throw err;
  }
  try {
    const compressed = Bun.file(source).stream().pipeThrough(new CompressionStream("gzip"));
    await Bun.write(Bun.file(sink), new Response(compressed));
  } finally {
    fs.closeSync(source);
    fs.closeSync(sink);
  }
  fs.renameSync(partial, target);
  fs.unlinkSync(path);
  return target;
}
