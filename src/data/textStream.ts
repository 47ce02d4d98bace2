import { createReadStream, statSync } from 'node:fs';
import type { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';

/**
 * Streams a file as UTF-8 text (a leading BOM stripped) into `push`, chunk by chunk, ticking the
 * checkpoint with the fraction of bytes read; `push` gets the decoder's final flush last. An I/O
 * failure becomes a UserError naming the file; UserErrors (data errors thrown by `push`) and
 * cancellation pass through. Returns the file's size in bytes.
 */
export async function streamText(
  file: string,
  opts: { highWaterMark?: number; checkpoint?: Checkpoint },
  push: (text: string) => void,
): Promise<number> {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  const stream = createReadStream(file, opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {});
  const decoder = new TextDecoder('utf-8'); // strips a leading BOM
  try {
    for await (const chunk of stream) {
      push(decoder.decode(chunk as Buffer, { stream: true }));
      if (opts.checkpoint) await opts.checkpoint.tick(size > 0 ? stream.bytesRead / size : undefined);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof UserError || (e as Error).name === 'CancelledError') throw e;
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  push(decoder.decode());
  return size;
}
