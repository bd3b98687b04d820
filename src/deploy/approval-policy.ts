import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { lakayHome, loadYamlConfig, parseWithSchema } from "../config/index.js";

/**
 * The kinds of change that need sign-off. Fixed set: a policy file that names another kind is a
 * typo, and a typo in an approval policy must not silently drop a requirement.
 */
export const CHANGE_KINDS = [
  "fraud_model_promotion",
  "compliance_model_change",
  "scoring_threshold_change",
  "hybrid_weight_change",
  /**
   * Promoting a candidate whose backtest bias audit flagged a segment (docs/bias-audit.md); added by
   * the gate, like a detected change, unless the policy's `gate.bias_flags_need_approval` is false.
   */
  "bias_flags",
  /** Promoting with a gate condition skipped (`--skip-validation`, `--skip-backtest`). */
  "override",
] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

export function isChangeKind(value: string): value is ChangeKind {
  return (CHANGE_KINDS as readonly string[]).includes(value);
}

const roleName = z.string().regex(/^[a-z][a-z0-9_]*$/, "a role is lower_snake_case, e.g. ml_engineer");

const changeRequirement = z
  .object({
    description: z.string().min(1).optional(),
    required_roles: z
      .array(roleName)
      .min(1, "at least one role must approve a change")
      .refine((roles) => new Set(roles).size === roles.length, "a role is listed twice"),
  })
  .strict();

/** How long a backtest counts for a promotion (§3.3: the most recent 30 days). */
export const DEFAULT_BACKTEST_MAX_AGE_DAYS = 30;

const gateSettings = z
  .object({
    backtest_max_age_days: z.number().positive().max(3650).default(DEFAULT_BACKTEST_MAX_AGE_DAYS),
    /**
     * Allows `lakay models transition ... --break-glass --reason`: a stage change into or out of
     * Production outside promote/rollback/archive. Off by default; every use is recorded loudly.
     */
    break_glass: z.boolean().default(false),
    /** A candidate with bias flags needs the `bias_flags` approvals (default: a BSA officer). */
    bias_flags_need_approval: z.boolean().default(true),
  })
  .strict();

/** The approval policy file (YAML). Unknown keys and unknown change kinds are errors. */
export const approvalPolicySchema = z
  .object({
    version: z.literal(1).default(1),
    gate: gateSettings.prefault({}),
    changes: z
      .object(
        Object.fromEntries(CHANGE_KINDS.map((k) => [k, changeRequirement.optional()])) as {
          [K in ChangeKind]: z.ZodOptional<typeof changeRequirement>;
        },
      )
      .strict()
      .default({} as never),
  })
  .strict();

export interface ChangeRequirement {
  description: string;
  requiredRoles: string[];
}

/** A validated policy: every change kind has its requirement (defaults fill what a file omits). */
export interface ApprovalPolicy {
  changes: Record<ChangeKind, ChangeRequirement>;
  /** Gate settings the policy file may change. */
  gate: { backtestMaxAgeDays: number; breakGlass: boolean; biasFlagsNeedApproval: boolean };
  /** Where the policy came from: a file path or "default". Recorded with each decision. */
  source: string;
  /** SHA-256 of the canonical policy, so an audit can tell which rules a promotion was held to. */
  digest: string;
}

/**
 * The default policy: the stricter reading of §4.3 of the procedure. Its table asks ML engineer + team
 * lead for fraud models and hybrid-weight changes, but its bullets require BSA officer sign-off for
 * models that directly impact compliance ("fraud detection") and for hybrid-weight changes; where the
 * two disagree the default asks for both. A policy file can relax it (docs/lifecycle.md).
 */
export const DEFAULT_APPROVAL_REQUIREMENTS: Record<ChangeKind, ChangeRequirement> = {
  fraud_model_promotion: {
    description: "Fraud model promotion to Production",
    requiredRoles: ["ml_engineer", "team_lead", "bsa_officer"],
  },
  compliance_model_change: {
    description: "Compliance-affecting model change",
    requiredRoles: ["ml_engineer", "bsa_officer"],
  },
  scoring_threshold_change: {
    description: "Scoring threshold change",
    requiredRoles: ["ml_engineer", "bsa_officer"],
  },
  hybrid_weight_change: {
    description: "Hybrid (rules/ML) weight change",
    requiredRoles: ["ml_engineer", "team_lead", "bsa_officer"],
  },
  bias_flags: {
    description:
      "Promotion of a candidate the bias audit flagged (recall or false-positive rate of a segment)",
    requiredRoles: ["bsa_officer"],
  },
  override: {
    description: "Promotion with a gate condition skipped (validation or backtest)",
    requiredRoles: ["team_lead", "bsa_officer"],
  },
};

/** Builds a policy from parsed YAML. Change kinds the file leaves out keep their default requirement. */
export function policyFromConfig(raw: unknown, source: string): ApprovalPolicy {
  const parsed = parseWithSchema(raw ?? {}, approvalPolicySchema, source);
  const changes = {} as Record<ChangeKind, ChangeRequirement>;
  for (const kind of CHANGE_KINDS) {
    const given = parsed.changes[kind];
    changes[kind] = given
      ? {
          description: given.description ?? DEFAULT_APPROVAL_REQUIREMENTS[kind].description,
          requiredRoles: given.required_roles,
        }
      : { ...DEFAULT_APPROVAL_REQUIREMENTS[kind] };
  }
  const gate = {
    backtestMaxAgeDays: parsed.gate.backtest_max_age_days,
    breakGlass: parsed.gate.break_glass,
    biasFlagsNeedApproval: parsed.gate.bias_flags_need_approval,
  };
  return { changes, gate, source, digest: policyDigest(changes, gate) };
}

/** The built-in policy. */
export function defaultApprovalPolicy(): ApprovalPolicy {
  return policyFromConfig({}, "default");
}

/**
 * Loads the policy: `file` (flag) > `LAKAY_APPROVAL_POLICY` > `<LAKAY_HOME>/approval-policy.yaml`
 * when it exists > the default policy.
 */
export function loadApprovalPolicy(file?: string, env: NodeJS.ProcessEnv = process.env): ApprovalPolicy {
  const chosen = file ?? env.LAKAY_APPROVAL_POLICY;
  if (chosen) return policyFromConfig(loadYamlConfig(chosen, z.unknown()), chosen);
  const inHome = path.join(lakayHome(env), "approval-policy.yaml");
  if (existsSync(inHome)) return policyFromConfig(loadYamlConfig(inHome, z.unknown()), inHome);
  return defaultApprovalPolicy();
}

/** Every role the policy knows, so an approval with a misspelt role can be refused. */
export function knownRoles(policy: ApprovalPolicy): string[] {
  return [...new Set(CHANGE_KINDS.flatMap((k) => policy.changes[k].requiredRoles))].sort();
}

function policyDigest(changes: Record<ChangeKind, ChangeRequirement>, gate: ApprovalPolicy["gate"]): string {
  const canonical: [string, string[]][] = CHANGE_KINDS.map((k) => [k, [...changes[k].requiredRoles].sort()]);
  canonical.push([
    "gate",
    [String(gate.backtestMaxAgeDays), String(gate.breakGlass), String(gate.biasFlagsNeedApproval)],
  ]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
