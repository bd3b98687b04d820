import { Command, Option } from "commander";
import { readPaysim, summarisePaysim, type PaysimSummary } from "../data/index.js";
import { emit, table } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface InspectOptions {
  onBadRows: "fail" | "skip";
  json?: boolean;
}

/** `lakay data ...`: look at PaySim-format files before training on them. */
export function registerDataCommands(program: Command): void {
  const data = program.command("data").description("inspect PaySim-format transaction files");
  data
    .command("inspect")
    .description(
      "read a PaySim CSV and report rows, columns, type mix, fraud, steps, amounts and rejected rows",
    )
    .argument("<file>", "PaySim CSV (.csv or .csv.gz)")
    .addOption(
      new Option("--on-bad-rows <mode>", "fail at the first bad row, or skip bad rows and count them")
        .choices(["fail", "skip"])
        .default("fail"),
    )
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Examples:
  lakay data inspect data/paysim.csv
  lakay data inspect data/paysim.csv.gz --on-bad-rows skip --json

Exit code 2 for a missing, empty or malformed file; the error names file, line, column and value.`,
    )
    .action(
      action(async (file: string, o: InspectOptions) => {
        const progress = new Progress("reading", undefined, " bytes");
        const result = await readPaysim(file, {
          onBadRows: o.onBadRows,
          onProgress: (b) => progress.update(b),
        });
        progress.done();
        const s = summarisePaysim(result);
        emit(o, s, () => process.stdout.write(humanSummary(s)));
      }),
    );
}

function humanSummary(s: PaysimSummary): string {
  const fmt = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 2 });
  const lines = [
    `file      ${s.file}`,
    `rows      ${fmt(s.rows)}`,
    `columns   ${s.columns.join(", ")}`,
    `customers ${fmt(s.customers)}`,
    s.fraud === null
      ? "fraud     (unlabeled: no isFraud column)"
      : `fraud     ${fmt(s.fraud)} (${((s.fraud_rate ?? 0) * 100).toFixed(3)} %), flagged ${fmt(s.flagged_fraud ?? 0)}`,
    `steps     ${s.steps.min ?? "-"} to ${s.steps.max ?? "-"}`,
    "",
    table(
      ["type", "rows", "share"],
      Object.entries(s.type_counts).map(([t, c]) => [
        t,
        c,
        s.rows ? `${((c / s.rows) * 100).toFixed(2)} %` : "-",
      ]),
    ),
    "",
  ];
  if (s.amount) {
    const a = s.amount;
    lines.push(
      table(
        ["amount", "min", "p25", "p50", "p75", "p90", "p99", "max", "mean"],
        [["", a.min, a.p25, a.p50, a.p75, a.p90, a.p99, a.max, Math.round(a.mean * 100) / 100]],
      ),
      "",
    );
  }
  const reasons = Object.entries(s.rejected);
  if (reasons.length === 0) lines.push("rejected  none");
  else {
    lines.push(`rejected  ${fmt(reasons.reduce((t, [, c]) => t + c, 0))} rows skipped`);
    for (const [reason, count] of reasons)
      lines.push(`  ${reason}: ${fmt(count)} (first: ${s.rejected_examples[reason]})`);
  }
  return lines.join("\n") + "\n";
}
