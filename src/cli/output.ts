/** Output helpers shared by every command: one JSON document for machines, plain text for people. */

export interface OutputOptions {
  json?: boolean;
}

/** Prints `value` as one JSON document (with --json) or calls `human` to print text. */
export function emit(opts: OutputOptions, value: unknown, human: () => void): void {
  if (opts.json) process.stdout.write(JSON.stringify(value, null, 2) + "\n");
  else human();
}

/** Left-aligned text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r, ri) =>
      r
        .map((c, i) =>
          ri > 0 && typeof rows[ri - 1][i] === "number" ? c.padStart(widths[i]) : c.padEnd(widths[i]),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
