import { rmSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { checkManualAlias, loadApprovalPolicy, transitionStage } from "../../deploy/index.js";
import { BadInputError } from "../../errors/index.js";
import { withLakay } from "../../app/index.js";
import { defaultActor, parseStage, parseVersionNumber } from "../../registry/index.js";
import { keyValueList } from "../option-values.js";
import { emit } from "../output.js";
import { action } from "../run-command.js";
import { stageExternalModel } from "./external-model.js";
import { jsonOption, parseTags, versionJson, type RegistryCliOptions } from "./shared.js";

/**
 * `lakay models transition|alias|register`: changing the model registry. Stage changes into or out
 * of Production and the `champion` alias belong to the deployment pipeline (`deploy/`), which these
 * commands call.
 */
export function registerModelChangeCommands(models: Command): void {
  jsonOption(
    models
      .command("transition")
      .argument("<name>", "model name")
      .argument("<version>", "version number")
      .argument("<stage>", "None, Staging, Production or Archived")
      .description(
        "move a version between None, Staging and Archived (Production only through promote, rollback, archive)",
      ),
  )
    .option("--by <who>", "who is making the change (default LAKAY_ACTOR or the OS user)")
    .option("--reason <text>", "why, kept in history and the audit log")
    .option("--no-archive-existing", "fail instead of archiving the version currently in the target stage")
    .option(
      "--break-glass",
      "move into or out of Production outside the gate: only if the approval policy enables it; needs --reason; recorded loudly",
    )
    .option("--policy <file>", "approval policy YAML (for --break-glass)")
    .addHelpText(
      "after",
      "\nExamples:\n  lakay models transition fraud-detector 3 Staging --by alice --reason 'ready for A/B'\n" +
        "  lakay models transition fraud-detector 2 Archived --by alice\n\n" +
        "Into Production: `lakay promote` (through the gate); out of it: `lakay rollback` or `lakay archive`.",
    )
    .action(
      action(
        async (
          name: string,
          version: string,
          stage: string,
          opts: RegistryCliOptions & {
            by?: string;
            reason?: string;
            archiveExisting: boolean;
            breakGlass?: boolean;
            policy?: string;
          },
        ) => {
          const policy = opts.breakGlass ? loadApprovalPolicy(opts.policy) : undefined;
          const v = await withLakay(opts, (reg) =>
            transitionStage(reg, {
              model: name,
              version: parseVersionNumber(version),
              stage: parseStage(stage),
              archiveExisting: opts.archiveExisting,
              by: opts.by || defaultActor(),
              reason: opts.reason,
              breakGlass: opts.breakGlass,
              policy,
            }),
          );
          emit(opts, versionJson(v), () =>
            console.log(
              `${v.name} version ${v.version} is now in ${v.stage}${opts.breakGlass ? " (BREAK-GLASS, recorded)" : ""}`,
            ),
          );
        },
      ),
    );

  jsonOption(
    models
      .command("alias")
      .argument("<name>", "model name")
      .argument("<alias>", "alias, e.g. champion or challenger")
      .argument("[version]", "version the alias should point at")
      .description("set, move or delete an alias"),
  )
    .option("--delete", "delete the alias")
    .option("--by <who>", "who is making the change")
    .option("--reason <text>", "why, kept in history and the audit log")
    .addHelpText(
      "after",
      "\nExamples:\n  lakay models alias fraud-detector champion 3\n  lakay models alias fraud-detector challenger --delete",
    )
    .action(
      action(
        async (
          name: string,
          alias: string,
          version: string | undefined,
          opts: RegistryCliOptions & { delete?: boolean; by?: string; reason?: string },
        ) => {
          if (opts.delete && version !== undefined)
            throw new BadInputError("give either a VERSION or --delete, not both");
          if (!opts.delete && version === undefined)
            throw new BadInputError("missing VERSION (or pass --delete)");
          checkManualAlias(name, alias);
          await withLakay(opts, async (reg) => {
            if (opts.delete) await reg.deleteAlias({ name, alias, actor: opts.by, reason: opts.reason });
            else
              await reg.setAlias({
                name,
                alias,
                version: parseVersionNumber(version!),
                actor: opts.by,
                reason: opts.reason,
              });
          });
          const value = { name, alias, version: opts.delete ? null : Number(version) };
          emit(opts, value, () =>
            console.log(
              opts.delete
                ? `deleted alias ${alias} of ${name}`
                : `${name}@${alias} now points at version ${version}`,
            ),
          );
        },
      ),
    );

  jsonOption(
    models
      .command("register")
      .argument("<name>", "model name (created if new)")
      .description(
        "register a model trained elsewhere (e.g. XGBoost in Python) as a new version, with its own run and checksums",
      ),
  )
    .requiredOption("--model-file <file>", "the model in XGBoost JSON format")
    .option("--features <file>", "features.json (ordered feature names)")
    .option("--description <text>", "version description")
    .option("--tag <key=value>", "version tag (repeatable)", keyValueList)
    .option("--experiment <name>", "experiment for the registration run", "external-models")
    .option("--by <who>", "who registers it")
    .addHelpText(
      "after",
      "\nExample:\n  lakay models register fraud-detector --model-file xgb.json --features features.json --json",
    )
    .action(
      action(
        async (
          name: string,
          opts: RegistryCliOptions & {
            modelFile: string;
            features?: string;
            description?: string;
            tag?: string[];
            experiment: string;
            by?: string;
          },
        ) => {
          const tags = parseTags(opts.tag);
          const staging = stageExternalModel(opts.modelFile, opts.features);
          try {
            const v = await withLakay(opts, async (reg) => {
              const exp = await reg.createExperiment(opts.experiment);
              const run = await reg.createRun({
                experimentId: exp.id,
                name: `register ${name}`,
                tags: {
                  "lakay.source": "external",
                  "lakay.model_file": path.resolve(opts.modelFile),
                  "lakay.user": opts.by || defaultActor(),
                },
              });
              try {
                await reg.logArtifacts(run.id, staging);
                await reg.endRun(run.id, "FINISHED");
              } catch (err) {
                await reg.endRun(run.id, "FAILED").catch(() => {});
                throw err;
              }
              return reg.createModelVersion({
                name,
                runId: run.id,
                description: opts.description,
                tags,
                actor: opts.by,
              });
            });
            emit(opts, versionJson(v), () =>
              console.log(`registered ${v.name} version ${v.version} (run ${v.runId})`),
            );
          } finally {
            rmSync(staging, { recursive: true, force: true });
          }
        },
      ),
    );
}
