import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { BadInputError } from "../errors/index.js";
import { recordLabels, type OutcomeLabel } from "../monitoring/index.js";
import { withLakay } from "../app/index.js";
import { defaultActor } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { emit } from "./output.js";
import { action } from "./run-command.js";

interface FeedbackOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  by?: string;
  source: string;
  model?: string;
}

/** Reads `transaction_id,isFraud` (other columns ignored); a bad row names its line and field. */
export async function readLabelsCsv(file: string, source: string): Promise<OutcomeLabel[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const idCol = header.indexOf("transaction_id");
  const labelCol = header.indexOf("isFraud");
  if (idCol < 0 || labelCol < 0)
    throw new BadInputError(
      `${file}: the header must name transaction_id and isFraud (got ${header.join(",")})`,
      { file, line: 1 },
    );
  const labels: OutcomeLabel[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const cells = lines[i].split(",");
    const id = cells[idCol]?.trim();
    const y = cells[labelCol]?.trim();
    if (!id)
      throw new BadInputError(`${file} line ${i + 1}: transaction_id is empty`, {
        file,
        line: i + 1,
        field: "transaction_id",
      });
    if (y !== "0" && y !== "1")
      throw new BadInputError(
        `${file} line ${i + 1}: isFraud must be 0 or 1 (got ${JSON.stringify(y ?? "")})`,
        {
          file,
          line: i + 1,
          field: "isFraud",
        },
      );
    labels.push({ transactionId: id, isFraud: y === "1", source, labeledAt: null });
  }
  if (!labels.length) throw new BadInputError(`${file}: no labels`, { file });
  return labels;
}

/** `lakay feedback import labels.csv`: investigation outcomes into the registry, joined to the prediction log. */
export function registerFeedbackCommands(program: Command): void {
  const feedback = program
    .command("feedback")
    .description("outcome labels (investigation results) for monitoring and A/B statistics");
  addRegistryOptions(
    feedback
      .command("import <labels.csv>")
      .description("store labels from a CSV with columns transaction_id,isFraud (others ignored)")
      .option("--source <source>", "where the labels come from (kept with each label)", "import")
      .option("--model <name>", "model named in the audit entry")
      .option("--by <who>", "who imports (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print the import report as JSON"),
  )
    .addHelpText(
      "after",
      `
A relabel (an id labeled before) adds a row: the latest label is in force, the earlier stays in
history. Labels for ids the prediction log does not hold are kept and counted as "unknown".

Example:
  lakay feedback import labels.csv --source investigation --json
`,
    )
    .action(
      action(async (file: string, opts: FeedbackOptions) => {
        const labels = await readLabelsCsv(file, opts.source);
        const report = await withLakay(opts, (reg) =>
          recordLabels(reg, labels, opts.by || defaultActor(), opts.model ?? null),
        );
        emit(opts, report, () =>
          process.stdout.write(
            `Stored ${report.received} labels: ${report.known} joined to logged predictions, ${report.unknown} for unknown transaction ids (kept), ${report.relabeled} relabels\n`,
          ),
        );
      }),
    );
}
