// gzip a rotated file next to itself (app.log.1 → app.log.1.gz) chunk by chunk, so a large file never
// blocks the event loop; the original is removed only once the .gz is complete. Log directories may be
// writable by the workers, so neither file is reached through a symbolic link: a planted link would
// have the daemon copy a file it can read into one the worker can, or overwrite one it can write; nor is
// the directory, which is pinned while the work lasts (a worker could swap it for a link to /etc).

import { createExclusive, openReadNoFollow, PinnedDirectory } from "../os/fs.ts";
import { nodeFs } from "../util/node.ts";
import { basename, dirname } from "../util/path.ts";

export async function gzipFile(path: string): Promise<string> {
  const fs = nodeFs();
  const name = basename(path);
  const dir = PinnedDirectory.open(dirname(path));
  try {
    const partial = dir.at(`${name}.gz.partial`);
    const source = openReadNoFollow(dir.at(name));
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
    fs.renameSync(partial, dir.at(`${name}.gz`));
    fs.unlinkSync(dir.at(name));
  } finally {
    dir.close();
  }
  return `${path}.gz`;
}
