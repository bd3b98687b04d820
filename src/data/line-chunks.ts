import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { BadInputError, NotFoundError } from "../errors/index.js";

/** A run of whole lines from a text file: `buf[start, end)` ends just after a line's end (or at EOF). */
export interface LineChunk {
  buf: Buffer;
  start: number;
  end: number;
  /** 1-based line number of the first line in this chunk. */
  firstLine: number;
  /** Bytes of the (possibly compressed) file consumed so far, for progress. */
  bytesRead: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 10;

/** Size and existence check with the errors the CLI promises (not found, a directory, empty). */
export async function checkInputFile(file: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new BadInputError("is a directory, expected a CSV file", { file });
    size = st.size;
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`${file}: file not found`);
    throw new BadInputError(`cannot read file (${code ?? String(err)})`, { file });
  }
  if (size === 0) throw new BadInputError("file is empty (expected a header row and data rows)", { file });
  return size;
}

/**
 * Streams a `.csv` or `.csv.gz` file as chunks of whole lines, so a parser can scan bytes in
 * place without ever holding the file in memory. Strips a UTF-8 byte-order mark; the last line
 * needs no trailing newline. Memory stays at about two chunks whatever the file size.
 */
export async function* readLineChunks(file: string): AsyncGenerator<LineChunk> {
  await checkInputFile(file);
  if (!file.endsWith(".gz")) {
    yield* plainLineChunks(file);
    return;
  }
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const gz = file.endsWith(".gz");
  const source: AsyncIterable<Buffer> = gz ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  if (gz) raw.on("error", () => {}); // surfaced through the gunzip stream
  let carry: Buffer | undefined;
  let line = 1;
  let first = true;
  try {
    for await (const data of source) {
      let buf = carry && carry.length > 0 ? Buffer.concat([carry, data]) : data;
      let start = 0;
      if (first) {
        first = false;
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      const lastNl = buf.lastIndexOf(NEWLINE);
      if (lastNl < start) {
        carry = start > 0 ? buf.subarray(start) : buf;
        continue;
      }
      carry = buf.subarray(lastNl + 1);
      if (carry.length > 0) carry = Buffer.from(carry); // do not pin the big chunk
      const chunk: LineChunk = { buf, start, end: lastNl + 1, firstLine: line, bytesRead: raw.bytesRead };
      line += countNewlines(buf, start, lastNl + 1);
      yield chunk;
      buf = data;
    }
  } catch (err) {
    if (err instanceof BadInputError || err instanceof NotFoundError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (
      gz &&
      (e.code === "Z_DATA_ERROR" || e.code === "Z_BUF_ERROR" || /gzip|header|unexpected end/i.test(e.message))
    )
      throw new BadInputError(`not a valid gzip file (${e.message})`, { file });
    throw new BadInputError(`cannot read file (${e.code ?? e.message})`, { file });
  } finally {
    raw.destroy();
  }
  if (carry && carry.length > 0) {
    let start = 0;
    if (first && carry.length >= 3 && carry[0] === 0xef && carry[1] === 0xbb && carry[2] === 0xbf) start = 3;
    yield { buf: carry, start, end: carry.length, firstLine: line, bytesRead: raw.bytesRead };
  }
}

/**
 * The uncompressed path: one buffer, read into again and again, the unfinished last line moved to
 * its front before the next read. A stream would hand over a fresh 4 MB buffer per chunk and the
 * carried line would need a concat (a copy of every byte): at 1M rows those fresh pages and copies
 * cost a second of a 1.5-second read. So a chunk's `buf` is only valid until the next one is asked for.
 */
async function* plainLineChunks(file: string): AsyncGenerator<LineChunk> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BadInputError(`cannot read file (${e.code ?? e.message})`, { file });
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0; // bytes of an unfinished line carried to the front
    let bytesRead = 0;
    let line = 1;
    let first = true;
    for (;;) {
      if (filled === buf.length) {
        // One line longer than the buffer: make room for the rest of it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      let n: number;
      try {
        n = (await fh.read(buf, filled, buf.length - filled, null)).bytesRead;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new BadInputError(`cannot read file (${e.code ?? e.message})`, { file });
      }
      bytesRead += n;
      const len = filled + n;
      let start = 0;
      if (first && len >= 3) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      if (n === 0) {
        if (len > start) yield { buf, start, end: len, firstLine: line, bytesRead };
        return;
      }
      const lastNl = buf.lastIndexOf(NEWLINE, len - 1);
      if (lastNl < start) {
        if (start > 0) {
          buf.copyWithin(0, start, len);
          filled = len - start;
        } else filled = len;
        continue;
      }
      yield { buf, start, end: lastNl + 1, firstLine: line, bytesRead };
      line += countNewlines(buf, start, lastNl + 1);
      buf.copyWithin(0, lastNl + 1, len);
      filled = len - lastNl - 1;
    }
  } finally {
    await fh.close();
  }
}

function countNewlines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = buf.indexOf(NEWLINE, start);
  while (i !== -1 && i < end) {
    n++;
    i = buf.indexOf(NEWLINE, i + 1);
  }
  return n;
}
