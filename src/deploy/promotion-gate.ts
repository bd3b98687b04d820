import type { ModelVersion, RegistryTx, Run } from "../registry/index.js";
import { evaluateApprovals, type ApprovalEvaluation } from "./approval-evaluation.js";
import { flagKey, type BiasFlagSummary } from "./backtest-bias.js";
import type { ApprovalPolicy, ChangeKind } from "./approval-policy.js";
import { detectChanges, scoringSettingsOf, type DetectedChange } from "./change-detection.js";
import type { StoredValidation } from "./deployment-record.js";
import {
  listApprovals,
  listBacktests,
  listDeploymentRecords,
  listValidations,
  type StoredBacktest,
} from "./store/deploy-store.js";
import { versionDigest } from "./version-digest.js";

/** What the gate reads: a registry transaction, or the same calls over a read-only handle. */
export type GateReader = Pick<RegistryTx, "db" | "getVersion" | "getLatestVersion" | "getRun">;

export const GATE_STATUSES = ["pass", "fail", "skipped", "not_required"] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];

/** One line of the checklist. */
export interface GateCondition {
  /** `stage`, `validation`, `backtest`, `bias`, `approval:<role>`, `sole_approver`, `override:<role>`. */
  name: string;
  status: GateStatus;
  /** What was found, or what is missing and how to get it. */
  detail: string;
}

/** Gate conditions skipped on purpose; each needs a reason and the policy's `override` approvals. */
export interface GateOverrides {
  skipValidation?: boolean;
  skipBacktest?: boolean;
  reason?: string | null;
}

export interface GateInput {
  model: string;
  version: number;
  policy: ApprovalPolicy;
  /** Kinds the promoter declares; the detected ones are added. Default: fraud model promotion. */
  declaredKinds?: readonly ChangeKind[];
  /** The person about to promote (cannot be the only approver). */
  promoter?: string;
  overrides?: GateOverrides;
  now?: Date;
}

/** The checklist before a promotion: every condition, pass or fail, and what is missing. */
export interface GateReport {
  model: string;
  version: number;
  stage: string;
  artifactDigest: string;
  production: { version: number; artifactDigest: string } | null;
  changeKinds: ChangeKind[];
  detectedChanges: DetectedChange[];
  conditions: GateCondition[];
  passed: boolean;
  /** The evidence the promotion rests on, for the deployment record. */
  validationId: number | null;
  backtestId: number | null;
  /** The candidate's bias flags on the counting backtest; null when there is none to read. */
  biasFlags: BiasFlagSummary[] | null;
  approvals: ApprovalEvaluation;
  overrideApprovals: ApprovalEvaluation | null;
  overrides: { validation: boolean; backtest: boolean; reason: string | null };
  /** Loud notes: break-glass stage changes on record for this model. */
  warnings: string[];
}

/**
 * Evaluates the promotion gate for a candidate, on its exact artifacts (digest):
 * - it is in Staging;
 * - its latest validation on these artifacts passed (unless skipped with an override);
 * - with a version in Production, its latest backtest against *that* version, on both exact
 *   artifacts and younger than the policy's maximum age, passed (unless skipped with an override);
 * - the approvals the policy requires for every change kind it carries (declared, or detected by
 *   comparing its scoring settings with Production's) are in, people folded for comparison;
 * - a skipped condition needs a reason and the `override` approvals.
 * Run inside the promotion's transaction it decides; run alone it is `lakay gate`.
 */
export async function evaluateGate(reader: GateReader, input: GateInput): Promise<GateReport> {
  const { model, policy } = input;
  const now = input.now ?? new Date();
  const candidate = await reader.getVersion(model, input.version);
  const digest = versionDigest(candidate.files);
  const current = await reader.getLatestVersion(model, "Production");
  const production =
    current && current.version !== candidate.version
      ? { version: current.version, artifactDigest: versionDigest(current.files) }
      : null;
  const conditions: GateCondition[] = [];
  const overrides = {
    validation: !!input.overrides?.skipValidation,
    backtest: !!input.overrides?.skipBacktest,
    reason: input.overrides?.reason?.trim() || null,
  };

  conditions.push(
    current?.version === candidate.version
      ? { name: "stage", status: "fail", detail: "already in Production" }
      : candidate.stage === "Staging"
        ? { name: "stage", status: "pass", detail: "in Staging" }
        : {
            name: "stage",
            status: "fail",
            detail: `in ${candidate.stage}, not Staging: move it with \`lakay models transition ${model} ${candidate.version} Staging\``,
          },
  );

  const validations = await listValidations(reader.db, model, candidate.version);
  const validation = validations.find((v) => v.artifactDigest === digest) ?? null;
  conditions.push(validationCondition(validation, validations, overrides.validation));

  const backtests = production ? await listBacktests(reader.db, model, candidate.version) : [];
  const backtest = production
    ? (backtests.find((b) => countsFor(b, digest, production, policy, now) === null) ?? null)
    : null;
  conditions.push(
    backtestCondition(backtest, backtests, digest, production, policy, now, overrides.backtest),
  );
  const biasFlags = backtest?.biasFlags ?? null;
  conditions.push(biasCondition(backtest, policy));

  const detectedChanges = production
    ? detectChanges(
        scoringSettingsOf(candidate, await runOf(reader, candidate)),
        scoringSettingsOf(current!, await runOf(reader, current!)),
      )
    : [];
  const declared = input.declaredKinds?.length ? input.declaredKinds : (["fraud_model_promotion"] as const);
  const flagged: ChangeKind[] = biasFlags?.length && policy.gate.biasFlagsNeedApproval ? ["bias_flags"] : [];
  const changeKinds = [
    ...new Set<ChangeKind>([...declared, ...detectedChanges.map((d) => d.kind), ...flagged]),
  ];
  const all = await listApprovals(reader.db, model, candidate.version);
  const subject = { model, version: candidate.version, artifactDigest: digest, promoter: input.promoter };
  const approvals = evaluateApprovals(policy, { ...subject, changeKind: changeKinds[0], changeKinds }, all);
  conditions.push(...roleConditions("approval", approvals, changeKinds.join(" + ")));
  const sole = approvals.reasons.find((r) => r.includes("cannot be the only approver"));
  if (sole) conditions.push({ name: "sole_approver", status: "fail", detail: sole });

  let overrideApprovals: ApprovalEvaluation | null = null;
  if (overrides.validation || overrides.backtest) {
    overrideApprovals = evaluateApprovals(policy, { ...subject, changeKind: "override" }, all);
    if (!overrides.reason) {
      conditions.push({
        name: "override:reason",
        status: "fail",
        detail: "a skipped condition needs --reason",
      });
    }
    conditions.push(...roleConditions("override", overrideApprovals, "override"));
  }

  const warnings = (await listDeploymentRecords(reader.db, { model, successOnly: true }))
    .filter((r) => r.action === "break_glass")
    .map(
      (r) =>
        `BREAK-GLASS on record: version ${r.version} moved ${String(r.details.from ?? "?")} -> ${String(r.details.to ?? "?")} by ${r.triggeredBy} at ${r.timestamp} (${r.reason ?? "no reason"})`,
    );

  return {
    model,
    version: candidate.version,
    stage: candidate.stage,
    artifactDigest: digest,
    production,
    changeKinds,
    detectedChanges,
    conditions,
    passed: conditions.every((c) => c.status !== "fail"),
    validationId: validation?.id ?? null,
    backtestId: backtest?.id ?? null,
    biasFlags,
    approvals,
    overrideApprovals,
    overrides,
    warnings,
  };
}

/** The failing conditions in one sentence, for errors and the audit trail. */
export function gateFailures(report: GateReport): string {
  return report.conditions
    .filter((c) => c.status === "fail")
    .map((c) => `${c.name}: ${c.detail}`)
    .join("; ");
}

async function runOf(reader: GateReader, v: ModelVersion): Promise<Run | null> {
  return v.runId ? reader.getRun(v.runId).catch(() => null) : null;
}

function validationCondition(
  validation: StoredValidation | null,
  all: StoredValidation[],
  skipped: boolean,
): GateCondition {
  if (skipped) return { name: "validation", status: "skipped", detail: "skipped (override)" };
  if (!validation) {
    return {
      name: "validation",
      status: "fail",
      detail: all.length
        ? `no validation of these artifacts (validation ${all[0].id} was of other files): run \`lakay validate\``
        : "not validated: run `lakay validate`",
    };
  }
  if (!validation.passed) {
    const failed = validation.report.steps.filter((s) => !s.passed).map((s) => `${s.name} (${s.detail})`);
    return { name: "validation", status: "fail", detail: `validation failed: ${failed.join("; ")}` };
  }
  return {
    name: "validation",
    status: "pass",
    detail: `validation ${validation.id} passed at ${validation.timestamp}`,
  };
}

/** Why a backtest does not count for this promotion, or null when it does. */
function countsFor(
  b: StoredBacktest,
  digest: string,
  production: { version: number; artifactDigest: string },
  policy: ApprovalPolicy,
  now: Date,
): string | null {
  if (b.currentVersion !== production.version)
    return b.currentVersion === null
      ? "was run with no Production version to compare against"
      : `was run against version ${b.currentVersion}, not the current Production version ${production.version}`;
  if (b.candidateDigest !== digest || b.currentDigest !== production.artifactDigest)
    return "was run on other artifacts (digest differs)";
  const ageDays = (now.getTime() - new Date(b.timestamp).getTime()) / 86_400_000;
  if (ageDays > policy.gate.backtestMaxAgeDays)
    return `is ${ageDays.toFixed(1)} days old (maximum ${policy.gate.backtestMaxAgeDays})`;
  return null;
}

function backtestCondition(
  backtest: StoredBacktest | null,
  all: StoredBacktest[],
  digest: string,
  production: { version: number; artifactDigest: string } | null,
  policy: ApprovalPolicy,
  now: Date,
  skipped: boolean,
): GateCondition {
  if (!production)
    return {
      name: "backtest",
      status: "not_required",
      detail: "no version in Production (first deployment)",
    };
  if (skipped) return { name: "backtest", status: "skipped", detail: "skipped (override)" };
  const run = `run \`lakay backtest --candidate N\` against Production version ${production.version}`;
  if (!backtest) {
    const why = all.length
      ? `backtest ${all[0].id} ${countsFor(all[0], digest, production, policy, now)}`
      : "none run";
    return {
      name: "backtest",
      status: "fail",
      detail: `no backtest against Production version ${production.version} counts (${why}): ${run}`,
    };
  }
  if (!backtest.passed) {
    const failing = backtest.rows
      .filter((r) => r.passed === false)
      .map((r) => `${r.label} ${fmt(r.candidate)} vs ${fmt(r.current)} (${r.requirement})`);
    return {
      name: "backtest",
      status: "fail",
      detail: `backtest ${backtest.id} against version ${production.version} failed: ${failing.join(", ")}`,
    };
  }
  return {
    name: "backtest",
    status: "pass",
    detail: `backtest ${backtest.id} against version ${production.version} passed (${backtest.datasetRows ?? "?"} rows, ${backtest.datasetFrauds ?? "?"} fraud, ${backtest.timestamp})`,
  };
}

/**
 * The candidate's bias flags on the backtest that counts (docs/bias-audit.md). Flags do not fail the
 * gate themselves: they add the `bias_flags` change kind, whose approvals (default a BSA officer)
 * the approval conditions then require. A counting backtest without a bias report (recorded before
 * the bias audit existed) fails: re-run the backtest.
 */
function biasCondition(backtest: StoredBacktest | null, policy: ApprovalPolicy): GateCondition {
  if (!backtest)
    return { name: "bias", status: "not_required", detail: "no counting backtest to read bias flags from" };
  const flags = backtest.biasFlags;
  if (flags === null)
    return {
      name: "bias",
      status: "fail",
      detail: `backtest ${backtest.id} has no bias report (recorded before the bias audit): re-run \`lakay backtest\``,
    };
  if (flags.length === 0)
    return { name: "bias", status: "pass", detail: `no segment flagged on backtest ${backtest.id}` };
  const listed = flags.map((f) => `${flagKey(f)} ${f.ratio.toFixed(2)}x`).join(", ");
  return {
    name: "bias",
    status: "pass",
    detail: `${flags.length} flag(s) on backtest ${backtest.id}: ${listed}; ${
      policy.gate.biasFlagsNeedApproval
        ? `needs the bias_flags approval (${policy.changes.bias_flags.requiredRoles.join(", ")})`
        : "shown only (policy gate.bias_flags_need_approval is false)"
    }`,
  };
}

function roleConditions(prefix: string, e: ApprovalEvaluation, what: string): GateCondition[] {
  return e.requiredRoles.map((role) => {
    const who = e.filledBy[role];
    if (who && !e.missingRoles.includes(role))
      return { name: `${prefix}:${role}`, status: "pass" as const, detail: `approved by ${who} (${what})` };
    const rejected = e.rejections.find((r) => r.role === role);
    const elsewhere = e.reasons.find((r) => r.startsWith(`role ${role} is missing:`));
    return {
      name: `${prefix}:${role}`,
      status: "fail" as const,
      detail: rejected
        ? `rejected by ${rejected.approver}${rejected.note ? `: ${rejected.note}` : ""}`
        : elsewhere
          ? elsewhere.replace(`role ${role} is missing: `, "")
          : `role ${role} has not approved (${what})`,
    };
  });
}

function fmt(x: number | null): string {
  return x === null ? "-" : x.toFixed(4);
}
