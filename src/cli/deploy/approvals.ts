import type { Command } from "commander";
import {
  approvalJson,
  approvalStatus,
  approvalStatusJson,
  loadApprovalPolicy,
  recordApproval,
} from "../../deploy/index.js";
import { withLakay } from "../../app/index.js";
import { emit, table } from "../output.js";
import { action } from "../run-command.js";
import {
  byOption,
  changeOption,
  deployCommand,
  modelOption,
  policyOption,
  subjectDigestOption,
  versionOption,
  type DeployCliOptions,
} from "./options.js";

interface ApprovalCliOptions extends DeployCliOptions {
  model: string;
  version: number;
  change: string;
  subjectSha256?: string;
  policy?: string;
}

const filled = (f: Record<string, string>) =>
  Object.entries(f)
    .map(([r, p]) => `${r}=${p}`)
    .join(", ");

/** `lakay approve` and `lakay approvals`: sign-offs and where a version stands. */
export function registerApprovalCommands(program: Command): void {
  deployCommand(
    program,
    "approve",
    "record an approval (or, with --reject, a rejection) of a model version for a change",
    "the approval and where the change stands",
  )
    .addOption(modelOption())
    .addOption(versionOption())
    .requiredOption(
      "--role <role>",
      "the approver's role, as the policy names it (ml_engineer, team_lead, bsa_officer)",
    )
    .addOption(byOption("who approves"))
    .option("--note <text>", "why (required with --reject)")
    .option("--reject", "record a rejection: blocks the version until a later approval by the same role")
    .addOption(changeOption(true))
    .addOption(subjectDigestOption())
    .addOption(policyOption())
    .addHelpText(
      "after",
      "\nPeople are compared trimmed and case-insensitively: one person fills one role per version.\n" +
        "\nExamples:\n  lakay approve --model fraud-detector --version 3 --role ml_engineer --by alice\n" +
        "  lakay approve --model fraud-detector --version 3 --role team_lead --by bob --note 'backtest reviewed'\n" +
        "  lakay approve --model fraud-detector --version 3 --role bsa_officer --by gina --note 'SAR impact reviewed'\n" +
        "  lakay approve --model fraud-detector --version 3 --role bsa_officer --by gina --change override --note 'INC-42'\n",
    )
    .action(
      action(
        async (opts: ApprovalCliOptions & { role: string; by: string; note?: string; reject?: boolean }) => {
          const policy = loadApprovalPolicy(opts.policy);
          const out = await withLakay(opts, (reg) =>
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
              `${verb}: model ${a.model} version ${a.version} by ${a.approver} as ${a.role} (${a.changeKind})\n` +
                (out.evaluation.satisfied
                  ? `All approvals for ${a.changeKind} are in: ${filled(out.evaluation.filledBy)}\n`
                  : `Still needed for ${a.changeKind}: ${out.evaluation.reasons.join("; ")}\n`),
            );
          });
        },
      ),
    );

  deployCommand(
    program,
    "approvals",
    "show the approvals and rejections on record for a version, and what the policy still needs",
    "the decisions and the status",
  )
    .addOption(modelOption())
    .addOption(versionOption())
    .option("--promoter <who>", "check as if this person were promoting (they cannot be the only approver)")
    .addOption(changeOption(true))
    .addOption(subjectDigestOption())
    .addOption(policyOption())
    .addHelpText(
      "after",
      "\nFor the whole promotion checklist (stage, validation, backtest, detected change kinds) use `lakay gate`.\n" +
        "\nExample:\n  lakay approvals --model fraud-detector --version 3 --promoter alice\n",
    )
    .action(
      action(async (opts: ApprovalCliOptions & { promoter?: string }) => {
        const policy = loadApprovalPolicy(opts.policy);
        const status = await withLakay(opts, (reg) =>
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
              `Approvals of model ${opts.model} version ${opts.version} for ${status.changeKind} (policy ${policy.source}):\n\n` +
                (status.approvals.length
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
                  : "none recorded\n\n") +
                (status.satisfied
                  ? `Ready: ${filled(status.filledBy)}\n`
                  : `Not ready: ${status.reasons.join("; ")}\n`),
            );
          },
        );
      }),
    );
}
