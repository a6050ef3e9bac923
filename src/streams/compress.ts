// gzip a rotated file next to itself (app.log.1 → app.log.1.gz) chunk by chunk, so a large file never
// blocks the event loop; the original is removed only once the .gz is complete.

import { nodeFs } from "../util/node.ts";

export async function gzipFile(path: string): Promise<string> {
  const target = `${path}.gz`;
  const partial = `${target}.partial`;
  const compressed = Bun.file(path).stream().pipeThrough(new CompressionStream("gzip"));
  await Bun.write(partial, new Response(compressed));
  nodeFs().renameSync(partial, target);
  nodeFs().unlinkSync(path);
  return target;
}
