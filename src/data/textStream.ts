import { createReadStream, readFileSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Checkpoint } from '../util/cancel';
import { DataFileError, UserError } from '../util/errors';

import type { ReadInfo } from './types';

/** Text encodings a data file may have: UTF-8 (with or without BOM), or UTF-16 with a BOM. */
export type TextEncoding = ReadInfo['encoding'];

/** Where the parser stands: the 1-based line and column of the next character it would get. */
export type Where = () => { line: number; column: number };

/**
 * The size of a regular file, or a UserError naming the file: a directory, a device (/dev/zero), a
 * FIFO or a socket is not a data file (reading one could hang or never end).
 */
export function regularFileSize(file: string): number {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`Cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  if (st.isFile()) return st.size;
  const what = st.isDirectory()
    ? 'a directory'
    : st.isCharacterDevice() || st.isBlockDevice()
      ? 'a device'
      : st.isFIFO()
        ? 'a pipe (FIFO)'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file';
  throw new UserError(`Cannot read ${file}: it is ${what}, not a data file`);
}

/** The encoding announced by a byte order mark, and the BOM's length; UTF-8 (length 0) without one. */
export function sniffEncoding(head: Uint8Array): { encoding: TextEncoding; bom: number } {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  return { encoding: 'utf-8', bom: 0 };
}

/**
 * Length of the longest prefix of `b` that is complete, valid UTF-8, and what stops it: 'end' (all of
 * b is valid), 'incomplete' (b ends inside a multi-byte character that may continue in the next
 * chunk) or 'invalid' (a byte that no UTF-8 text has at that place: WHATWG's rules, so overlongs,
 * surrogates and code points above U+10FFFF are invalid).
 */
export function utf8Prefix(b: Uint8Array): { length: number; stop: 'end' | 'incomplete' | 'invalid' } {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return { length: i, stop: 'invalid' };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { length: i, stop: 'incomplete' };
      const d = b[i + k];
      if (d < lo || d > hi) return { length: i, stop: 'invalid' };
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return { length: n, stop: 'end' };
}

function hex(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

const NOT_UTF8 =
  'the file must be UTF-8 text (or UTF-16 with a byte order mark); convert it, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`';

/**
 * Streams a file as text into `push`, chunk by chunk, ticking the checkpoint with the fraction of
 * bytes read. UTF-8 (a BOM stripped) is validated as it streams; UTF-16 LE/BE files (told by their
 * BOM) are decoded. Nothing is ever changed silently: an invalid UTF-8 sequence, invalid UTF-16 or a
 * NUL character (binary data, or UTF-16 without a BOM) is a DataFileError at the line and column
 * `where()` reports once the text before it has been pushed. An I/O failure, a directory or a
 * device is a UserError naming the file; UserErrors thrown by `push` and cancellation pass through.
 */
export async function streamText(
  file: string,
  opts: { highWaterMark?: number; checkpoint?: Checkpoint; where?: Where },
  push: (text: string) => void,
): Promise<{ size: number; encoding: TextEncoding }> {
  const size = regularFileSize(file);
  const where: Where = opts.where ?? (() => ({ line: 1, column: 1 }));
  const fail = (detail: string): never => {
    const at = where();
    throw new DataFileError(file, at.line, at.column, detail);
  };
  const stream = createReadStream(file, opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {});
  let encoding: TextEncoding | undefined;
  let utf16: TextDecoder | undefined;
  let carry: Buffer = Buffer.alloc(0);

  const pushUtf8 = (buf: Buffer, final: boolean): void => {
    if (isUtf8(buf) && buf.indexOf(0) < 0) {
      push(buf.toString('utf8'));
      carry = Buffer.alloc(0);
      return;
    }
    if (!final) {
      // Most often the chunk only ends inside a multi-byte character: carry that tail over.
      let k = buf.length - 1;
      while (k >= 0 && k >= buf.length - 3 && (buf[k] & 0xc0) === 0x80) k--;
      if (k >= 0 && buf[k] >= 0xc0) {
        const head = buf.subarray(0, k);
        if (isUtf8(head) && head.indexOf(0) < 0) {
          push(head.toString('utf8'));
          carry = buf.subarray(k);
          return;
        }
      }
    }
    const p = utf8Prefix(buf);
    const nul = buf.subarray(0, p.length).indexOf(0);
    if (nul >= 0) {
      push(buf.toString('utf8', 0, nul));
      fail('NUL character (byte 0x00): this is not a text file, or it is UTF-16 without a byte order mark; save it as UTF-8 (or UTF-16 with a byte order mark)');
    }
    push(buf.toString('utf8', 0, p.length));
    if (p.stop === 'invalid' || (p.stop === 'incomplete' && final)) {
      const bytes = Array.from(buf.subarray(p.length, Math.min(buf.length, p.length + 4)), hex).join(' ');
      fail(`invalid UTF-8 (bytes ${bytes}${p.stop === 'incomplete' ? ' at the end of the file' : ''}): ${NOT_UTF8}`);
    }
    carry = buf.subarray(p.length);
  };
  const pushUtf16 = (buf: Buffer, final: boolean): void => {
    let text: string;
    try {
      text = (utf16 as TextDecoder).decode(buf, { stream: !final });
    } catch {
      return fail(`invalid ${encoding?.toUpperCase()} (an unpaired surrogate or an odd number of bytes) in or after this line`);
    }
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      push(text.slice(0, nul));
      fail(`NUL character (U+0000) in a ${encoding?.toUpperCase()} file: this is not a text file`);
    }
    push(text);
  };

  try {
    for await (const chunk of stream) {
      let buf = chunk as Buffer;
      if (encoding === undefined) {
        buf = carry.length ? Buffer.concat([carry, buf]) : buf;
        if (buf.length < 3 && stream.bytesRead < size) {
          carry = buf; // too short to tell a BOM yet
          continue;
        }
        const s = sniffEncoding(buf);
        encoding = s.encoding;
        buf = buf.subarray(s.bom);
        carry = Buffer.alloc(0);
        if (encoding !== 'utf-8') utf16 = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
      }
      if (encoding === 'utf-8') pushUtf8(carry.length ? Buffer.concat([carry, buf]) : buf, false);
      else pushUtf16(buf, false);
      if (opts.checkpoint) await opts.checkpoint.tick(size > 0 ? stream.bytesRead / size : undefined);
    }
    if (encoding === undefined) {
      // A file of fewer than 3 bytes.
      const s = sniffEncoding(carry);
      encoding = s.encoding;
      carry = carry.subarray(s.bom);
      if (encoding !== 'utf-8') utf16 = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
      if (encoding === 'utf-8') pushUtf8(carry, true);
      else pushUtf16(carry, true);
    } else if (encoding === 'utf-8') {
      if (carry.length) pushUtf8(carry, true);
    } else {
      pushUtf16(Buffer.alloc(0), true);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof UserError || (e as Error).name === 'CancelledError') throw e;
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  return { size, encoding };
}

/**
 * The whole file as text in the given encoding (BOM stripped), or null when it cannot be read;
 * only for re-reading a file to locate an error's cell.
 */
export function readWholeText(file: string, encoding: TextEncoding = 'utf-8'): string | null {
  try {
    return new TextDecoder(encoding).decode(readFileSync(file));
  } catch {
    return null;
  }
}
