import { open } from "node:fs/promises";
import { BadInputError } from "../errors/index.js";

const FLUSH_BYTES = 1 << 20;

/**
 * Writes a numeric matrix as CSV, streaming (about 1 MB buffered) so millions of rows never
 * become one string. Numbers are written in JavaScript's shortest round-trip form, so reading
 * the file back gives the same doubles bit for bit; NaN is an empty cell.
 */
export async function writeFeatureCsv(
  file: string,
  names: readonly string[],
  columns: ArrayLike<number>[],
  rows: number,
): Promise<void> {
  if (names.length !== columns.length)
    throw new BadInputError(`${names.length} column names for ${columns.length} columns`, { file });
  for (const n of names)
    if (/[,"\r\n]/.test(n) || n === "")
      throw new BadInputError(`column name "${n}" cannot be written to CSV`, { file });
  let fh;
  try {
    fh = await open(file, "w");
  } catch (err) {
    throw new BadInputError(`cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      file,
    });
  }
  try {
    const buf = Buffer.allocUnsafe(FLUSH_BYTES + 64 * 1024);
    let pos = buf.write(names.join(",") + "\n", 0, "latin1");
    const width = columns.length;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < width; k++) {
        if (k > 0) buf[pos++] = 44;
        pos = writeNumber(buf, pos, columns[k][r]);
      }
      buf[pos++] = 10;
      if (pos >= FLUSH_BYTES) {
        await fh.write(buf, 0, pos);
        pos = 0;
      }
    }
    if (pos > 0) await fh.write(buf, 0, pos);
  } finally {
    await fh.close();
  }
}

/**
 * Writes `x` at `pos` and returns the new end. Small integers (counts, codes, labels, most
 * amounts in cents) skip `String(x)`, which is the expensive part of writing a big matrix.
 */
export function writeNumber(buf: Buffer, pos: number, x: number): number {
  if (x !== x) return pos;
  if (Number.isInteger(x) && x > -1e15 && x < 1e15 && !Object.is(x, -0)) {
    if (x < 0) {
      buf[pos++] = 45;
      x = -x;
    }
    if (x < 10) {
      buf[pos++] = 48 + x;
      return pos;
    }
    let digits = 0;
    for (let t = x; t >= 1; t = Math.floor(t / 10)) digits++;
    let p = pos + digits - 1;
    while (x >= 1) {
      const q = Math.floor(x / 10);
      buf[p--] = 48 + (x - q * 10);
      x = q;
    }
    return pos + digits;
  }
  return pos + buf.write(String(x), pos, "latin1");
}
