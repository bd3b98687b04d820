import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { readPaysim } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { buildFeatures } from "../features/index.js";
import { DEFAULT_PSI_THRESHOLDS, psiTable, worstStatus, type ReferenceBins } from "../monitoring/index.js";
import { withLakay } from "../app/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { registerMonitorPurgeCommand } from "./monitor-purge.js";
import { driftReportHtml } from "../report/index.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface DriftOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  model: string;
  dataset: string;
  html?: string;
}

/** `lakay monitor drift`: the same PSI table as the monitoring endpoint, for a PaySim file. */
export function registerMonitorCommands(program: Command): void {
  const monitor = program.command("monitor").description("drift and health of a registered model");
  registerMonitorPurgeCommand(monitor);
  addRegistryOptions(
    monitor
      .command("drift")
      .description("PSI per feature of a PaySim CSV against the version's reference.json bins")
      .requiredOption("--model <uri>", "models:/NAME/Production, models:/NAME/3 or models:/NAME@alias")
      .requiredOption("--dataset <file.csv>", "PaySim-format transactions (features computed point-in-time)")
      .option("--json", "print JSON")
      .option("--html <file>", "also write the drift page as one self-contained HTML file (charts inlined)"),
  )
    .addHelpText(
      "after",
      `
Statuses: stable < 0.1 ≤ warning < 0.25 ≤ critical (docs/monitoring.md). Exit code 0 whatever the
drift; read "status" in --json.

Example:
  lakay monitor drift --model models:/fraud-detector/Production --dataset new.csv --json
  lakay monitor drift --model models:/fraud-detector/Production --dataset new.csv --html drift.html
`,
    )
    .action(
      action(async (opts: DriftOptions) => {
        if (!opts.model.startsWith("models:/"))
          throw new BadInputError(
            `--model must be a registry URI such as models:/fraud-detector/Production (got ${opts.model})`,
          );
        const { version, reference } = await withLakay(opts, async (reg) => {
          const resolved = await reg.resolveModelUri(opts.model);
          const file = path.join(resolved.localDir, "reference.json");
          const raw = JSON.parse(await readFile(file, "utf8").catch(() => "{}")) as {
            features?: Record<string, ReferenceBins>;
          };
          if (!raw.features)
            throw new BadInputError(`${opts.model} has no reference.json: nothing to compare against`);
          return { version: resolved.version, reference: raw.features };
        });
        const read = await readPaysim(opts.dataset, { onBadRows: "fail" });
        const m = buildFeatures(read.tx);
        const features = psiTable(m.names, m.columns, reference, DEFAULT_PSI_THRESHOLDS);
        const out = {
          model: version.name,
          version: version.version,
          dataset: opts.dataset,
          rows: m.rows,
          status: worstStatus(features.map((f) => f.status)),
          thresholds: DEFAULT_PSI_THRESHOLDS,
          features,
        };
        if (opts.html) {
          await writeFile(opts.html, driftReportHtml(out));
          process.stderr.write(`lakay: wrote the drift report to ${opts.html}\n`);
        }
        emit(opts, out, () =>
          process.stdout.write(
            `${out.model} version ${out.version} vs ${opts.dataset} (${out.rows} rows): ${out.status}\n` +
              table(
                ["feature", "PSI", "status"],
                features.map((f) => [f.feature, f.psi === null ? "-" : f.psi.toFixed(4), f.status]),
              ) +
              "\n",
          ),
        );
      }),
    );
}
