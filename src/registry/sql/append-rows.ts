/**
 * The one `INSERT` that `Registry.appendRows` runs, for either dialect: `rowCount` rows of
 * `columns`, each value a placeholder made by `placeholder(row, column)`, skipping a row that
 * clashes with the unique key `skipDuplicatesOf` when one is given. Names are checked plain
 * identifiers (SqlRegistry.appendRows), quoted here all the same.
 */
export function appendRowsSql(
  table: string,
  columns: readonly string[],
  rowCount: number,
  skipDuplicatesOf: readonly string[],
  placeholder: (row: number, column: number) => string,
): string {
  const quote = (name: string) => `"${name}"`;
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) rows.push(`(${columns.map((_, c) => placeholder(r, c)).join(", ")})`);
  const conflict = skipDuplicatesOf.length
    ? ` ON CONFLICT (${skipDuplicatesOf.map(quote).join(", ")}) DO NOTHING`
    : "";
  return `INSERT INTO ${quote(table)} (${columns.map(quote).join(", ")}) VALUES ${rows.join(", ")}${conflict}`;
}
