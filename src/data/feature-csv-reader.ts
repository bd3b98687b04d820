import { BadInputError } from "../errors/index.js";
import { fieldText, parseCsvHeader } from "./csv-header.js";
import { grow, trim } from "./growable.js";
import { readLineChunks } from "./line-chunks.js";
import { parseDecimal } from "./parse-number.js";

/** A numeric matrix read from CSV: one Float64Array per column, in header order. */
export interface NumericCsv {
  names: string[];
  columns: Float64Array[];
  rows: number;
}

const COMMA = 44;
const CR = 13;
const NEWLINE = 10;

/**
 * Reads a numeric CSV (a feature matrix as `lakay features build` writes it) column by column.
 * Every column must be numeric; an empty cell is a missing value (NaN) so models that learn a
 * default direction for missing values can be fed as-is. `NaN`, `Infinity`, `-Infinity` are read
 * as written. A non-number fails with the file, line and column named.
 */
export async function readFeatureCsv(file: string): Promise<NumericCsv> {
  let names: string[] | undefined;
  let columns: Float64Array[] = [];
  let rows = 0;
  for await (const chunk of readLineChunks(file)) {
    const { buf, end } = chunk;
    let pos = chunk.start;
    let line = chunk.firstLine;
    if (!names) {
      const header = parseCsvHeader(file, chunk);
      names = header.names;
      const dup = names.find((n, i) => names!.indexOf(n) !== i);
      if (dup !== undefined)
        throw new BadInputError(`column "${dup}" appears twice in the header`, { file, line: 1 });
      if (names.some((n) => n === ""))
        throw new BadInputError("the header has an empty column name", { file, line: 1 });
      columns = names.map(() => new Float64Array(1 << 16));
      pos = header.dataStart;
      line++;
    }
    const width = names.length;
    while (pos < end) {
      let lineEnd = buf.indexOf(NEWLINE, pos);
      if (lineEnd === -1 || lineEnd > end) lineEnd = end;
      const next = lineEnd + 1;
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
      if (lineEnd > pos) {
        if (rows === columns[0].length) columns = columns.map((c) => grow(c, rows + 1));
        let fieldStart = pos;
        for (let k = 0; k < width; k++) {
          let fieldEnd = fieldStart;
          while (fieldEnd < lineEnd && buf[fieldEnd] !== COMMA) fieldEnd++;
          if (fieldEnd === lineEnd && k < width - 1)
            throw new BadInputError(`expected ${width} fields, found ${k + 1}`, { file, line });
          columns[k][rows] = numericCell(buf, fieldStart, fieldEnd, file, line, names[k]);
          fieldStart = fieldEnd + 1;
        }
        if (fieldStart <= lineEnd)
          throw new BadInputError(`expected ${width} fields, found more`, { file, line });
        rows++;
      }
      pos = next;
      line++;
    }
  }
  if (!names) throw new BadInputError("file is empty (expected a header row)", { file });
  return { names, columns: columns.map((c) => trim(c, rows)), rows };
}

function numericCell(
  buf: Buffer,
  start: number,
  end: number,
  file: string,
  line: number,
  column: string,
): number {
  if (start === end) return NaN;
  const v = parseDecimal(buf, start, end);
  if (v === v) return v;
  const text = buf.toString("latin1", start, end).trim();
  if (text === "" || text === "NaN" || text === "nan") return NaN;
  if (text === "Infinity" || text === "inf") return Infinity;
  if (text === "-Infinity" || text === "-inf") return -Infinity;
  const n = text.length > 0 ? Number(text) : NaN;
  if (n === n && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return n;
  throw new BadInputError(`"${fieldText(buf, start, end)}" is not a number (expected a decimal like 12.5)`, {
    file,
    line,
    column,
  });
}
