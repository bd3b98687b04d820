/**
 * Rows by position, as `Registry.appendRows` takes them from a high-volume writer (the prediction
 * log): every value of every row in typed arrays, strings in one array. A busy server's log rows as
 * objects cost the serving thread most of what the log cost it: each row an object with a boxed
 * number per double field, alive until its batch was committed (so copied by every scavenge and
 * promoted), then read back by name to be packed for the SQLite worker. Packed from the start, a
 * row is 24 typed-array slots and a few string references, and the worker takes it as it is.
 */
export interface PackedRows {
  /** Values per row (the column count). */
  width: number;
  /** Where value k (row-major) is: NULL_TAG, NUMBER_TAG (`numbers[k]`) or STRING_TAG (the next of `strings`). */
  tags: Uint8Array;
  numbers: Float64Array;
  strings: string[];
}

export const NULL_TAG = 0;
export const NUMBER_TAG = 1;
export const STRING_TAG = 2;

export function packedRowCount(p: PackedRows): number {
  return p.tags.length / p.width;
}

/**
 * Packs `rows` by `columns`; null when a value is neither a number, a string nor null (such rows
 * go as objects). Numbers and strings bind as they did from the objects: better-sqlite3 binds any
 * number as a double and any string as text, by name or by position.
 */
export function packRows(rows: readonly object[], columns: readonly string[]): PackedRows | null {
  const width = columns.length;
  const tags = new Uint8Array(rows.length * width);
  const numbers = new Float64Array(rows.length * width);
  const strings: string[] = [];
  let k = 0;
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (let c = 0; c < width; c++, k++) {
      const v = r[columns[c]];
      if (typeof v === "number") {
        tags[k] = NUMBER_TAG;
        numbers[k] = v;
      } else if (typeof v === "string") {
        tags[k] = STRING_TAG;
        strings.push(v);
      } else if (v === null) tags[k] = NULL_TAG;
      else return null;
    }
  }
  return { width, tags, numbers, strings };
}

/** How many rows `rows` holds, as objects or packed. */
export function rowCount(rows: readonly object[] | PackedRows): number {
  return Array.isArray(rows) ? rows.length : packedRowCount(rows as PackedRows);
}

/**
 * `rows` in order, `size` rows at a time: slices of the objects, or packed rows with buffers of
 * their own (transferable to a worker) and only the strings they hold. Every backend's appendRows
 * writes its transactions or statements from these.
 */
export function* rowChunks(
  rows: readonly object[] | PackedRows,
  size: number,
): Generator<readonly object[] | PackedRows> {
  if (Array.isArray(rows)) {
    for (let i = 0; i < rows.length; i += size) yield (rows as readonly object[]).slice(i, i + size);
    return;
  }
  const p = rows as PackedRows;
  const total = packedRowCount(p);
  let stringsFrom = 0;
  for (let i = 0; i < total; i += size) {
    const tags = p.tags.slice(i * p.width, Math.min(total, i + size) * p.width);
    let n = 0;
    for (let k = 0; k < tags.length; k++) if (tags[k] === STRING_TAG) n++;
    yield {
      width: p.width,
      tags,
      numbers: p.numbers.slice(i * p.width, Math.min(total, i + size) * p.width),
      strings: p.strings.slice(stringsFrom, stringsFrom + n),
    };
    stringsFrom += n;
  }
}

/**
 * Calls `each(params)` for every row of `p` in order, `params` the row's values by position (one
 * array, reused: the callee binds it before it returns). For the paths without a worker (an
 * in-memory SQLite database) and for PostgreSQL's parameter lists.
 */
export function forEachPackedRow(p: PackedRows, each: (params: unknown[], row: number) => void): void {
  const { width, tags, numbers, strings } = p;
  const params = new Array<unknown>(width);
  let s = 0;
  for (let k = 0, row = 0; k < tags.length; row++) {
    for (let c = 0; c < width; c++, k++) {
      const t = tags[k];
      params[c] = t === NUMBER_TAG ? numbers[k] : t === STRING_TAG ? strings[s++] : null;
    }
    each(params, row);
  }
}
