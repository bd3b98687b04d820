import { BadInputError } from "../errors/index.js";
import { LABEL_COLUMNS, REQUIRED_COLUMNS, type PaysimColumn } from "./paysim-schema.js";

/** Other spellings seen in copies of the dataset, lower-cased. */
const ALIASES: Record<string, PaysimColumn> = {
  oldbalanceorig: "oldbalanceOrg",
  newbalanceorg: "newbalanceOrig",
};

/** Field index of each PaySim column in a file (-1 for an absent optional column). */
export type ColumnIndex = Record<PaysimColumn, number>;

/**
 * Maps a header row to PaySim columns by name, in any order and any letter case, so a file with
 * shuffled or extra columns reads the same. A missing required column is named in the error.
 */
export function mapPaysimColumns(file: string, names: string[]): ColumnIndex {
  const all = [...REQUIRED_COLUMNS, ...LABEL_COLUMNS] as PaysimColumn[];
  const byLower = new Map<string, PaysimColumn>(all.map((c) => [c.toLowerCase(), c]));
  const index = Object.fromEntries(all.map((c) => [c, -1])) as ColumnIndex;
  names.forEach((name, i) => {
    const lower = name.toLowerCase();
    const col = byLower.get(lower) ?? ALIASES[lower];
    if (!col) return;
    if (index[col] !== -1)
      throw new BadInputError(`column "${col}" appears twice in the header`, { file, line: 1 });
    index[col] = i;
  });
  const missing = REQUIRED_COLUMNS.filter((c) => index[c] === -1);
  if (missing.length > 0) {
    const list = missing.map((c) => `"${c}"`).join(", ");
    throw new BadInputError(
      `missing required column${missing.length > 1 ? "s" : ""} ${list} (header has: ${names.join(", ")})`,
      { file, line: 1, column: missing[0] },
    );
  }
  return index;
}
