import { BadInputError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import {
  CHANGE_KINDS,
  isChangeKind,
  loadApprovalPolicy,
  type ApprovalPolicy,
  type ChangeKind,
} from "./approval-policy.js";
import { evaluateGate, type GateOverrides, type GateReport } from "./promotion-gate.js";
import { withReader } from "./registry-reader.js";

export interface GateCheckOptions {
  model: string;
  version: number;
  /** Check as if this person were promoting. */
  promoter?: string;
  changeKind?: ChangeKind | string;
  overrides?: GateOverrides;
  policy?: ApprovalPolicy;
  now?: Date;
}

/**
 * `lakay gate`: the promotion checklist for a version as things stand, without recording anything or
 * taking the registry's write lock. `promoteToProduction` evaluates the same gate in its transaction.
 */
export async function checkPromotionGate(registry: Registry, opts: GateCheckOptions): Promise<GateReport> {
  const declared = opts.changeKind ?? "fraud_model_promotion";
  if (!isChangeKind(declared) || declared === "override") {
    throw new BadInputError(
      `unknown change kind "${declared}" (known: ${CHANGE_KINDS.filter((k) => k !== "override").join(", ")})`,
      {
        field: "change",
      },
    );
  }
  const policy = opts.policy ?? loadApprovalPolicy();
  await registry.getVersion(opts.model, opts.version); // NotFoundError names model and version
  return withReader(registry, (reader) =>
    evaluateGate(reader, {
      model: opts.model,
      version: opts.version,
      policy,
      declaredKinds: [declared],
      promoter: opts.promoter,
      overrides: opts.overrides,
      now: opts.now,
    }),
  );
}
