import { BadInputError } from "../errors/index.js";
import type { LineChunk } from "./line-chunks.js";

/** The header row of a CSV file and where the data rows start in the first chunk. */
export interface CsvHeader {
  names: string[];
  /** Offset in the chunk's buffer just after the header line. */
  dataStart: number;
}

/**
 * Reads the header from the first chunk: comma-separated names, surrounding quotes and spaces
 * dropped, CR before LF dropped. Fails with the file named when there is no header at all.
 */
export function parseCsvHeader(file: string, chunk: LineChunk): CsvHeader {
  const { buf, start, end } = chunk;
  let nl = buf.indexOf(10, start);
  if (nl === -1 || nl >= end) nl = end;
  const text = buf.toString("utf8", start, nl).replace(/\r$/, "");
  if (text.trim() === "")
    throw new BadInputError("the first line is empty, expected a header row", { file, line: 1 });
  const names = text.split(",").map((n) =>
    n
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .trim(),
  );
  return { names, dataStart: Math.min(nl + 1, end) };
}

/** A field's text for error messages, shortened so a garbage line cannot flood the terminal. */
export function fieldText(buf: Uint8Array, start: number, end: number): string {
  const s = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8");
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
