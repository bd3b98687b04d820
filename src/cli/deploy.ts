import { Command, Option } from "commander";
import { readPaysim } from "../data/index.js";
import {
  archiveProduction,
  CHANGE_KINDS,
  DEFAULT_LATENCY_SLA_MS,
  approvalStatus,
  deploymentHistory,
  deploymentRecordOf,
  loadApprovalPolicy,
  promoteToProduction,
  recordApproval,
  rollback,
  runBacktest,
  validateModel,
  approvalJson,
  approvalStatusJson,
  backtestJson,
  deploymentRecordJson,
  validationJson,
  type BacktestReport,
  type DeploymentRecord,
  type StoredValidation,
} from "../deploy/index.js";
import { BadInputError, ValidationFailedError } from "../errors/index.js";
import { buildFeatures } from "../features/index.js";
import { addRegistryOptions, defaultActor, parseVersionNumber, withRegistry } from "../registry/index.js";
import { emit, table } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface CommonOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

function parseSla(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0))
    throw new BadInputError(`invalid --latency-sla-ms ${JSON.stringify(value)}: expected milliseconds > 0`);
  return n;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new BadInputError(`invalid --limit ${JSON.stringify(value)}: expected a positive integer`);
  return n;
}

function parseThreshold(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1))
    throw new BadInputError(
      `invalid --threshold ${JSON.stringify(value)}: expected a number between 0 and 1`,
    );
  return n;
}

const changeOption = () =>
  new Option("--change <kind>", "the kind of change, as the approval policy names it")
    .choices([...CHANGE_KINDS])
    .default("fraud_model_promotion");

function printValidation(v: StoredValidation): void {
  const d = v.report.details;
  const ms = (x: number | null) => (x === null ? "-" : x.toFixed(3));
  process.stdout.write(
    `Validation of model ${v.model} version ${v.version}: ${v.passed ? "PASSED" : "FAILED"}\n\n` +
      table(
        ["check", "result", "detail"],
        v.report.steps.map((s) => [s.name, s.passed ? "pass" : "FAIL", s.detail]),
      ) +
      `\n\ntested ${d.n_tested} vectors (${d.n_synthetic} synthetic from ${d.vector_source}, ${d.n_caller} given); ` +
      `valid scores ${(d.valid_score_share * 100).toFixed(1)}%; mean score ${d.mean_score === null ? "-" : d.mean_score.toFixed(4)}\n` +
      `latency p50 ${ms(d.latency_p50_ms)} ms, p95 ${ms(d.latency_p95_ms)} ms, p99 ${ms(d.latency_p99_ms)} ms (SLA ${d.latency_sla_ms} ms)\n`,
  );
}

function printBacktest(r: BacktestReport): void {
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(4));
  const head =
    r.currentVersion === null
      ? `Backtest of model ${r.model}: candidate version ${r.candidateVersion}, no Production version to compare against`
      : `Backtest of model ${r.model}: candidate version ${r.candidateVersion} vs Production version ${r.currentVersion}`;
  process.stdout.write(
    `${head}\ndataset ${r.dataset.path} (${r.dataset.rows} rows, ${r.dataset.frauds} fraud), threshold ${r.threshold}\n\n` +
      table(
        ["metric", "current", "candidate", "requirement", "result"],
        r.comparison.rows.map((row) => [
          row.label,
          f(row.current),
          f(row.candidate),
          row.requirement,
          row.passed === null ? "-" : row.passed ? "pass" : "FAIL",
        ]),
      ) +
      `\n\n${r.comparison.compared ? (r.comparison.passed ? "PASSED" : "FAILED") : "NOT COMPARED"}: ${r.comparison.summary}\n` +
      (r.artifact ? `report stored as artifact ${r.artifact}\n` : ""),
  );
}

function printRecord(r: DeploymentRecord): void {
  const what =
    r.action === "rollback"
      ? `Rolled back model ${r.model} to version ${r.version} (version ${r.previousVersion} archived)`
      : `Promoted model ${r.model} version ${r.version} to Production` +
        (r.previousVersion === null
          ? " (no previous Production version)"
          : ` (version ${r.previousVersion} archived)`);
  process.stdout.write(`${what}; deployment record ${r.id}, by ${r.triggeredBy}\n`);
}

/** Reads a PaySim CSV of events to add to the validation set, as feature vectors. */
async function eventVectors(file: string): Promise<Float64Array[]> {
  const read = await readPaysim(file, { onBadRows: "fail" });
  const m = buildFeatures(read.tx);
  return Array.from({ length: m.rows }, (_, i) => Float64Array.from(m.columns, (c) => c[i]));
}

/** When a refused operation carries its stored record, `--json` still prints it before the error. */
async function printingRefusal<T>(opts: CommonOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const record = deploymentRecordOf(err);
    if (record && opts.json) emit(opts, deploymentRecordJson(record), () => {});
    throw err;
  }
}

/** `lakay validate|backtest|approve|approvals|promote|rollback|archive|history`: the deployment pipeline. */
export function registerDeployCommands(program: Command): void {
  addRegistryOptions(
    program
      .command("validate")
      .description(
        "run the validation gate on a model version: loads, finite scores, scores in [0, 1], P95 latency",
      )
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--version <n>", "model version", parseVersionNumber)
      .option(
        "--latency-sla-ms <ms>",
        `P95 single-prediction latency limit (default ${DEFAULT_LATENCY_SLA_MS})`,
        parseSla,
      )
      .option(
        "--events <paysim.csv>",
        "also score these transactions (PaySim CSV) besides the 100 synthetic vectors",
      )
      .option("--by <who>", "who runs the validation (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print the report as JSON"),
  )
    .addHelpText(
      "after",
      "\nExit code 1 when any check fails.\n\nExample:\n  lakay validate --model fraud-detector --version 3 --latency-sla-ms 50\n",
    )
    .action(
      action(
        async (
          opts: CommonOptions & {
            model: string;
            version: number;
            latencySlaMs?: number;
            events?: string;
            by?: string;
          },
        ) => {
          const callerVectors = opts.events ? await eventVectors(opts.events) : undefined;
          const result = await withRegistry(opts, (reg) =>
            validateModel(reg, {
              model: opts.model,
              version: opts.version,
              actor: opts.by || defaultActor(),
              latencySlaMs: opts.latencySlaMs,
              callerVectors,
            }),
          );
          emit(opts, validationJson(result), () => printValidation(result));
          if (!result.passed) {
            const failed = result.report.steps.filter((s) => !s.passed).map((s) => `${s.name} (${s.detail})`);
            throw new ValidationFailedError(
              `model ${opts.model} version ${opts.version} failed validation: ${failed.join("; ")}`,
            );
          }
        },
      ),
    );

  addRegistryOptions(
    program
      .command("backtest")
      .description(
        "score a labeled dataset with the Production version and a candidate, and apply the tolerance rules",
      )
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--candidate <n>", "candidate version", parseVersionNumber)
      .requiredOption("--dataset <labeled.csv>", "labeled PaySim CSV (with isFraud)")
      .option("--threshold <t>", "decision threshold for precision, recall, F1, FPR", parseThreshold, 0.5)
      .option("--by <who>", "who runs the backtest (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print the report as JSON"),
  )
    .addHelpText(
      "after",
      "\nExit code 1 when the candidate fails a tolerance rule; 0 when it passes or there is no Production version.\n\n" +
        "Example:\n  lakay backtest --model fraud-detector --candidate 4 --dataset last-30-days.csv\n",
    )
    .action(
      action(
        async (
          opts: CommonOptions & {
            model: string;
            candidate: number;
            dataset: string;
            threshold: number;
            by?: string;
          },
        ) => {
          let bar: Progress | undefined;
          const report = await withRegistry(opts, (reg) =>
            runBacktest(reg, {
              model: opts.model,
              candidate: opts.candidate,
              dataset: opts.dataset,
              threshold: opts.threshold,
              actor: opts.by || defaultActor(),
              onProgress: (done, total) => {
                bar ??= new Progress("reading dataset", total, " bytes");
                bar.update(done);
              },
            }),
          ).finally(() => bar?.done());
          emit(opts, backtestJson(report), () => printBacktest(report));
          if (report.comparison.compared && !report.comparison.passed) {
            throw new ValidationFailedError(
              `model ${opts.model} version ${opts.candidate} fails the backtest against version ${report.currentVersion}: ${report.comparison.summary}`,
            );
          }
        },
      ),
    );

  addRegistryOptions(
    program
      .command("approve")
      .description("record an approval (or, with --reject, a rejection) of a model version for a change")
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--version <n>", "model version", parseVersionNumber)
      .requiredOption(
        "--role <role>",
        "the approver's role, as the policy names it (ml_engineer, team_lead, bsa_officer)",
      )
      .requiredOption("--by <who>", "who approves")
      .option("--note <text>", "why (required with --reject)")
      .option("--reject", "record a rejection: blocks the version until a later approval by the same role")
      .addOption(changeOption())
      .option(
        "--subject-sha256 <hex>",
        "for a threshold or weight change: SHA-256 of the proposed configuration",
      )
      .option(
        "--policy <file>",
        "approval policy YAML (default LAKAY_APPROVAL_POLICY, <LAKAY_HOME>/approval-policy.yaml, built-in)",
      )
      .option("--json", "print the approval and where the change stands as JSON"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  lakay approve --model fraud-detector --version 3 --role ml_engineer --by alice\n" +
        "  lakay approve --model fraud-detector --version 3 --role team_lead --by bob --note 'backtest reviewed'\n" +
        "  lakay approve --model fraud-detector --version 3 --role bsa_officer --by gina --reject --note 'needs SAR review'\n",
    )
    .action(
      action(
        async (
          opts: CommonOptions & {
            model: string;
            version: number;
            role: string;
            by: string;
            note?: string;
            reject?: boolean;
            change: string;
            subjectSha256?: string;
            policy?: string;
          },
        ) => {
          const policy = loadApprovalPolicy(opts.policy);
          const out = await withRegistry(opts, (reg) =>
            recordApproval(reg, {
              model: opts.model,
              version: opts.version,
              role: opts.role,
              by: opts.by,
              note: opts.note,
              decision: opts.reject ? "reject" : "approve",
              changeKind: opts.change,
              subjectDigest: opts.subjectSha256,
              policy,
            }),
          );
          const a = out.approval;
          emit(opts, { approval: approvalJson(a), status: approvalStatusJson(out.evaluation) }, () => {
            const verb = a.decision === "approve" ? "Approved" : "Rejected";
            process.stdout.write(
              `${verb}: model ${a.model} version ${a.version} by ${a.approver} as ${a.role} (${a.changeKind})\n`,
            );
            process.stdout.write(
              out.evaluation.satisfied
                ? `All required approvals are in: ${Object.entries(out.evaluation.filledBy)
                    .map(([r, p]) => `${r}=${p}`)
                    .join(", ")}\n`
                : `Still needed: ${out.evaluation.reasons.join("; ")}\n`,
            );
          });
        },
      ),
    );

  addRegistryOptions(
    program
      .command("approvals")
      .description(
        "show the approvals and rejections on record for a version, and what the policy still needs",
      )
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--version <n>", "model version", parseVersionNumber)
      .option("--promoter <who>", "check as if this person were promoting (they cannot be the only approver)")
      .addOption(changeOption())
      .option(
        "--subject-sha256 <hex>",
        "for a threshold or weight change: SHA-256 of the proposed configuration",
      )
      .option(
        "--policy <file>",
        "approval policy YAML (default LAKAY_APPROVAL_POLICY, <LAKAY_HOME>/approval-policy.yaml, built-in)",
      )
      .option("--json", "print the decisions and the status as JSON"),
  )
    .addHelpText(
      "after",
      "\nExample:\n  lakay approvals --model fraud-detector --version 3 --promoter alice\n",
    )
    .action(
      action(
        async (
          opts: CommonOptions & {
            model: string;
            version: number;
            promoter?: string;
            change: string;
            subjectSha256?: string;
            policy?: string;
          },
        ) => {
          const policy = loadApprovalPolicy(opts.policy);
          const status = await withRegistry(opts, (reg) =>
            approvalStatus(reg, {
              model: opts.model,
              version: opts.version,
              promoter: opts.promoter,
              changeKind: opts.change,
              subjectDigest: opts.subjectSha256,
              policy,
            }),
          );
          emit(
            opts,
            { approvals: status.approvals.map(approvalJson), status: approvalStatusJson(status) },
            () => {
              process.stdout.write(
                `Approvals of model ${opts.model} version ${opts.version} for ${status.changeKind} (policy ${policy.source}):\n\n`,
              );
              process.stdout.write(
                status.approvals.length
                  ? table(
                      ["id", "when", "role", "by", "decision", "note"],
                      status.approvals.map((a) => [
                        a.id,
                        a.createdAt,
                        a.role,
                        a.approver,
                        a.decision,
                        a.note ?? "",
                      ]),
                    ) + "\n\n"
                  : "none recorded\n\n",
              );
              process.stdout.write(
                status.satisfied
                  ? `Ready: ${Object.entries(status.filledBy)
                      .map(([r, p]) => `${r}=${p}`)
                      .join(", ")}\n`
                  : `Not ready: ${status.reasons.join("; ")}\n`,
              );
            },
          );
        },
      ),
    );

  addRegistryOptions(
    program
      .command("promote")
      .description(
        "validate, check approvals, and move a version to Production (archiving the current one), atomically",
      )
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--version <n>", "model version", parseVersionNumber)
      .requiredOption("--by <who>", "who promotes (cannot be the only approver)")
      .option("--skip-validation", "skip the validation gate (requires --reason; recorded)")
      .option("--reason <text>", "why (required with --skip-validation)")
      .option(
        "--latency-sla-ms <ms>",
        `P95 latency limit for the validation gate (default ${DEFAULT_LATENCY_SLA_MS})`,
        parseSla,
      )
      .addOption(changeOption())
      .option(
        "--policy <file>",
        "approval policy YAML (default LAKAY_APPROVAL_POLICY, <LAKAY_HOME>/approval-policy.yaml, built-in)",
      )
      .option("--json", "print the deployment record as JSON"),
  )
    .addHelpText(
      "after",
      "\nA refused promotion (validation failed, approvals missing) is recorded with success=false and exits 1.\n\n" +
        "Examples:\n  lakay promote --model fraud-detector --version 3 --by alice\n" +
        "  lakay promote --model fraud-detector --version 3 --by alice --skip-validation --reason 'INC-42 hotfix'\n",
    )
    .action(
      action(
        async (
          opts: CommonOptions & {
            model: string;
            version: number;
            by: string;
            skipValidation?: boolean;
            reason?: string;
            latencySlaMs?: number;
            change: string;
            policy?: string;
          },
        ) => {
          const policy = loadApprovalPolicy(opts.policy);
          const record = await withRegistry(opts, (reg) =>
            printingRefusal(opts, () =>
              promoteToProduction(reg, {
                model: opts.model,
                version: opts.version,
                by: opts.by,
                skipValidation: opts.skipValidation,
                reason: opts.reason,
                latencySlaMs: opts.latencySlaMs,
                changeKind: opts.change,
                policy,
              }),
            ),
          );
          emit(opts, deploymentRecordJson(record), () => printRecord(record));
        },
      ),
    );

  addRegistryOptions(
    program
      .command("rollback")
      .description("restore the previous Production version and archive the current one, atomically")
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--by <who>", "who rolls back")
      .option("--reason <text>", "why (recorded)")
      .option(
        "--to <n>",
        "restore this Archived version (also when nothing is in Production, after `lakay archive`)",
        parseVersionNumber,
      )
      .option("--json", "print the deployment record as JSON"),
  )
    .addHelpText(
      "after",
      "\nThe target is the version that was in Production before the current one (deployment history),\n" +
        "else the highest-numbered Archived version. No approvals needed: rollback is the emergency path.\n\n" +
        "Example:\n  lakay rollback --model fraud-detector --by oncall --reason 'FPR up 30% since 02:00'\n",
    )
    .action(
      action(async (opts: CommonOptions & { model: string; by: string; reason?: string; to?: number }) => {
        const record = await withRegistry(opts, (reg) =>
          printingRefusal(opts, () =>
            rollback(reg, { model: opts.model, by: opts.by, reason: opts.reason, to: opts.to }),
          ),
        );
        emit(opts, deploymentRecordJson(record), () => printRecord(record));
      }),
    );

  addRegistryOptions(
    program
      .command("archive")
      .description(
        "emergency stop: archive the Production version with nothing replacing it (serving falls back to rules)",
      )
      .requiredOption("--model <name>", "registered model name")
      .requiredOption("--by <who>", "who takes the model out of service")
      .requiredOption("--reason <text>", "why (recorded)")
      .option("--json", "print the deployment record as JSON"),
  )
    .addHelpText(
      "after",
      "\nUse when the live model misbehaves and there is no version worth rolling back to; restore later\n" +
        "with `lakay rollback --to N` or a promotion.\n\n" +
        "Example:\n  lakay archive --model fraud-detector --by oncall --reason 'NaN scores since 02:10, INC-1234'\n",
    )
    .action(
      action(async (opts: CommonOptions & { model: string; by: string; reason: string }) => {
        const record = await withRegistry(opts, (reg) =>
          printingRefusal(opts, () =>
            archiveProduction(reg, { model: opts.model, by: opts.by, reason: opts.reason }),
          ),
        );
        emit(opts, deploymentRecordJson(record), () =>
          process.stdout.write(
            `Archived model ${record.model} version ${record.version}: no version in Production now; deployment record ${record.id}, by ${record.triggeredBy}\n`,
          ),
        );
      }),
    );

  addRegistryOptions(
    program
      .command("history")
      .description("deployment records (promotions, rollbacks; refused attempts included), newest first")
      .option("--model <name>", "only this model")
      .option("--limit <n>", "at most this many records", parseLimit)
      .option("--json", "print the records as a JSON array"),
  )
    .addHelpText("after", "\nExample:\n  lakay history --model fraud-detector --limit 20\n")
    .action(
      action(async (opts: CommonOptions & { model?: string; limit?: number }) => {
        const records = await withRegistry(opts, (reg) =>
          deploymentHistory(reg, { model: opts.model, limit: opts.limit }),
        );
        emit(opts, records.map(deploymentRecordJson), () => {
          if (records.length === 0) {
            process.stdout.write("no deployment records\n");
            return;
          }
          process.stdout.write(
            table(
              [
                "id",
                "timestamp",
                "model",
                "action",
                "version",
                "previous",
                "by",
                "success",
                "reason / error",
              ],
              records.map((r) => [
                r.id,
                r.timestamp,
                r.model,
                r.action,
                r.version ?? "-",
                r.previousVersion ?? "-",
                r.triggeredBy,
                r.success ? "yes" : "NO",
                r.error ?? r.reason ?? "",
              ]),
            ) + "\n",
          );
        });
      }),
    );
}
