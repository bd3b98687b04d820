import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { BadInputError } from "../errors/index.js";
import {
  addRegistryOptions,
  defaultActor,
  parseStage,
  parseVersionNumber,
  type ModelVersion,
  type Run,
  withRegistry,
} from "../registry/index.js";
import { checkManualAlias, loadApprovalPolicy, transitionStage } from "../deploy/index.js";
import { registerAuditCommands } from "./audit.js";
import { registerAuditPurgeCommand } from "./audit-purge.js";
import { emit, table } from "./output.js";
import { keyValueList } from "./option-values.js";
import { action } from "./run-command.js";

interface RegistryCliOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

/** A version as `--json` prints it: snake_case, stable keys. */
export function versionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: v.version,
    stage: v.stage,
    aliases: v.aliases,
    run_id: v.runId,
    status: v.status,
    source: v.source,
    description: v.description,
    tags: v.tags,
    files: v.files,
    created_at: v.createdAt,
    updated_at: v.updatedAt,
  };
}

function runJson(r: Run) {
  return {
    run_id: r.id,
    experiment_id: r.experimentId,
    name: r.name,
    status: r.status,
    start_time: r.startTime,
    end_time: r.endTime,
    artifact_uri: r.artifactUri,
    params: r.params,
    metrics: r.metrics,
    tags: r.tags,
  };
}

function parseTags(list: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of list ?? []) {
    const eq = t.indexOf("=");
    if (eq <= 0)
      throw new BadInputError(`invalid tag ${JSON.stringify(t)}: expected KEY=VALUE`, { field: "--tag" });
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return tags;
}

function jsonOption(cmd: Command): Command {
  return addRegistryOptions(cmd.option("--json", "print one JSON document"));
}

/** `lakay models|runs|experiments|audit`: read and change the registry. */
export function registerRegistryCommands(program: Command): void {
  const models = program
    .command("models")
    .description("registered models: versions, stages, aliases, history, download, register");

  jsonOption(
    models.command("list").description("list registered models with their Production version and aliases"),
  )
    .addHelpText("after", "\nExample:\n  lakay models list --json")
    .action(
      action(async (opts: RegistryCliOptions) => {
        const rows = await withRegistry(opts, async (reg) => {
          const out = [];
          for (const m of await reg.listRegisteredModels()) {
            const versions = await reg.listVersions(m.name);
            out.push({
              name: m.name,
              description: m.description,
              versions: versions.length,
              latest_version: versions.at(-1)?.version ?? null,
              production_version: versions.find((v) => v.stage === "Production")?.version ?? null,
              aliases: Object.fromEntries(versions.flatMap((v) => v.aliases.map((a) => [a, v.version]))),
              created_at: m.createdAt,
              updated_at: m.updatedAt,
            });
          }
          return out;
        });
        emit(opts, rows, () => {
          if (!rows.length) return console.log("no registered models");
          console.log(
            table(
              ["NAME", "VERSIONS", "PRODUCTION", "ALIASES", "UPDATED"],
              rows.map((r) => [
                r.name,
                r.versions,
                r.production_version ?? "-",
                Object.entries(r.aliases)
                  .map(([a, v]) => `${a}=${v}`)
                  .join(",") || "-",
                r.updated_at,
              ]),
            ),
          );
        });
      }),
    );

  jsonOption(
    models
      .command("show")
      .argument("<name>", "model name")
      .description("show a registered model and its versions"),
  )
    .addHelpText("after", "\nExample:\n  lakay models show fraud-detector")
    .action(
      action(async (name: string, opts: RegistryCliOptions) => {
        const { model, versions } = await withRegistry(opts, async (reg) => ({
          model: await reg.getRegisteredModel(name),
          versions: await reg.listVersions(name),
        }));
        const value = {
          name: model.name,
          description: model.description,
          tags: model.tags,
          created_at: model.createdAt,
          updated_at: model.updatedAt,
          versions: versions.map(versionJson),
        };
        emit(opts, value, () => {
          console.log(`${model.name}${model.description ? ` — ${model.description}` : ""}`);
          console.log(`created ${model.createdAt}, updated ${model.updatedAt}`);
          console.log(versionsTable(versions));
        });
      }),
    );

  jsonOption(
    models.command("versions").argument("<name>", "model name").description("list a model's versions"),
  )
    .addHelpText("after", "\nExample:\n  lakay models versions fraud-detector --json")
    .action(
      action(async (name: string, opts: RegistryCliOptions) => {
        const versions = await withRegistry(opts, (reg) => reg.listVersions(name));
        emit(opts, versions.map(versionJson), () => console.log(versionsTable(versions)));
      }),
    );

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
          const v = await withRegistry(opts, (reg) =>
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
          await withRegistry(opts, async (reg) => {
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
      .command("download")
      .argument("<name>", "model name")
      .argument("<version>", "version number, a stage (Production) or @alias")
      .description("download a version's artifacts, verifying every SHA-256 first"),
  )
    .requiredOption("--out <dir>", "new or empty folder to write to")
    .addHelpText("after", "\nExample:\n  lakay models download fraud-detector Production --out ./fraud-model")
    .action(
      action(async (name: string, version: string, opts: RegistryCliOptions & { out: string }) => {
        const files = await withRegistry(opts, async (reg) => {
          const v = await reg.resolveVersion(versionSelectorUri(name, version));
          return { version: v.version, files: await reg.downloadVersion(name, v.version, opts.out) };
        });
        emit(opts, { name, version: files.version, out: path.resolve(opts.out), files: files.files }, () =>
          console.log(
            `${name} version ${files.version}: ${files.files.length} files verified and written to ${opts.out}`,
          ),
        );
      }),
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
            const v = await withRegistry(opts, async (reg) => {
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

  jsonOption(
    models
      .command("history")
      .argument("<name>", "model name")
      .description("stage and alias timeline, or the state at an instant"),
  )
    .option(
      "--at <instant>",
      "ISO-8601 instant, e.g. 2026-03-01T02:00Z: show stages and aliases as they were then",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  lakay models history fraud-detector\n  lakay models history fraud-detector --at 2026-03-01T02:00Z --json",
    )
    .action(
      action(async (name: string, opts: RegistryCliOptions & { at?: string }) => {
        if (opts.at) {
          const state = await withRegistry(opts, (reg) => reg.stateAt(name, opts.at!));
          emit(opts, state, () => {
            console.log(`${name} at ${state.at}`);
            console.log(
              table(
                ["VERSION", "STAGE"],
                state.stages.map((s) => [s.version, s.stage]),
              ),
            );
            const aliases = Object.entries(state.aliases);
            console.log(
              aliases.length
                ? `aliases: ${aliases.map(([a, v]) => `${a}=${v}`).join(", ")}`
                : "aliases: none",
            );
          });
          return;
        }
        const events = await withRegistry(opts, (reg) => reg.history(name));
        emit(opts, events, () => {
          if (!events.length) return console.log(`${name}: no stage or alias changes yet`);
          console.log(
            table(
              ["WHEN", "CHANGE", "FROM", "TO", "BY", "WHY"],
              events.map((e) => [
                e.timestamp,
                e.kind === "stage" ? `version ${e.version} stage` : `alias ${e.alias}`,
                e.from ?? "-",
                e.to ?? "-",
                e.actor,
                e.reason ?? "",
              ]),
            ),
          );
        });
      }),
    );

  const runs = program.command("runs").description("training runs: params, metrics, tags, artifacts");
  jsonOption(runs.command("list").description("list runs, newest first"))
    .option("--experiment <name>", "only runs of this experiment (name or id)")
    .option("--tag <key=value>", "only runs with this tag (repeatable)", keyValueList)
    .option("--metric <expr>", "only runs whose latest metric passes, e.g. 'auc_pr>=0.9'")
    .option("--order-by <metric>", "best first by this metric (descending)")
    .addOption(new Option("--limit <n>", "at most N runs").default("50"))
    .addHelpText(
      "after",
      "\nExample:\n  lakay runs list --experiment fraud --tag dataset=paysim --metric 'auc_pr>=0.9' --order-by auc_pr --json",
    )
    .action(
      action(
        async (
          opts: RegistryCliOptions & {
            experiment?: string;
            tag?: string[];
            metric?: string;
            orderBy?: string;
            limit: string;
          },
        ) => {
          const limit = parseVersionNumber(opts.limit);
          const metric = opts.metric === undefined ? undefined : parseMetricFilter(opts.metric);
          const list = await withRegistry(opts, (reg) =>
            reg.searchRuns({
              experimentId: opts.experiment,
              tags: parseTags(opts.tag),
              metric,
              orderByMetric: opts.orderBy,
              limit,
            }),
          );
          emit(opts, list.map(runJson), () => {
            if (!list.length) return console.log("no runs");
            console.log(
              table(
                ["RUN", "EXPERIMENT", "STATUS", "STARTED", "NAME"],
                list.map((r) => [r.id, r.experimentId, r.status, r.startTime, r.name ?? ""]),
              ),
            );
          });
        },
      ),
    );
  jsonOption(
    runs
      .command("show")
      .argument("<run-id>", "run id")
      .description("show a run's params, metrics, tags and artifacts"),
  )
    .addHelpText("after", "\nExample:\n  lakay runs show 3f2a... --json")
    .action(
      action(async (runId: string, opts: RegistryCliOptions) => {
        const { run, artifacts } = await withRegistry(opts, async (reg) => ({
          run: await reg.getRun(runId),
          artifacts: await reg.listArtifacts(runId),
        }));
        emit(opts, { ...runJson(run), artifacts }, () => {
          console.log(
            `run ${run.id} (${run.status}) experiment ${run.experimentId}${run.name ? ` — ${run.name}` : ""}`,
          );
          console.log(`started ${run.startTime}${run.endTime ? `, ended ${run.endTime}` : ""}`);
          console.log(`artifacts: ${run.artifactUri}`);
          for (const [title, rec] of [
            ["params", run.params],
            ["metrics", run.metrics],
            ["tags", run.tags],
          ] as const) {
            const entries = Object.entries(rec);
            if (entries.length)
              console.log(`${title}:\n` + entries.map(([k, v]) => `  ${k} = ${v}`).join("\n"));
          }
          if (artifacts.length)
            console.log(
              "files:\n" + artifacts.map((a) => `  ${a.path}  ${a.size} B  sha256 ${a.sha256}`).join("\n"),
            );
        });
      }),
    );

  const experiments = program.command("experiments").description("experiments (groups of runs)");
  jsonOption(experiments.command("list").description("list experiments"))
    .addHelpText("after", "\nExample:\n  lakay experiments list --json")
    .action(
      action(async (opts: RegistryCliOptions) => {
        const list = await withRegistry(opts, (reg) => reg.listExperiments());
        const value = list.map((e) => ({
          experiment_id: e.id,
          name: e.name,
          created_at: e.createdAt,
          tags: e.tags,
        }));
        emit(opts, value, () => {
          if (!list.length) return console.log("no experiments");
          console.log(
            table(
              ["ID", "NAME", "CREATED"],
              list.map((e) => [e.id, e.name, e.createdAt]),
            ),
          );
        });
      }),
    );

  registerAuditCommands(program);
  registerAuditPurgeCommand(program.commands.find((c) => c.name() === "audit")!);
}

/** `auc_pr>=0.9` → { key, op, value }. */
function parseMetricFilter(expr: string): { key: string; op: ">" | ">=" | "<" | "<=" | "="; value: number } {
  const m = /^\s*([^<>=\s]+)\s*(>=|<=|>|<|=)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(expr);
  if (!m || Number.isNaN(Number(m[3]))) {
    throw new BadInputError(
      `invalid metric filter ${JSON.stringify(expr)}: expected KEY OP NUMBER such as auc_pr>=0.9`,
      {
        field: "--metric",
      },
    );
  }
  return { key: m[1], op: m[2] as ">" | ">=" | "<" | "<=" | "=", value: Number(m[3]) };
}

function versionsTable(versions: ModelVersion[]): string {
  if (!versions.length) return "no versions";
  return table(
    ["VERSION", "STAGE", "ALIASES", "RUN", "CREATED"],
    versions.map((v) => [v.version, v.stage, v.aliases.join(",") || "-", v.runId ?? "-", v.createdAt]),
  );
}

/** `3` → models:/name/3, `Production` → models:/name/Production, `@champion` → models:/name@champion. */
function versionSelectorUri(name: string, selector: string): string {
  if (selector.startsWith("@")) return `models:/${name}${selector}`;
  if (/^\d+$/.test(selector)) return `models:/${name}/${parseVersionNumber(selector)}`;
  return `models:/${name}/${parseStage(selector)}`;
}

/** Checks the files of a bring-your-own model and copies them into a temporary folder to upload. */
function stageExternalModel(modelFile: string, featuresFile?: string): string {
  const model = readJsonFile(modelFile, "--model-file");
  if (!model || typeof model !== "object" || !("learner" in model)) {
    throw new BadInputError(
      "not an XGBoost JSON model (no \"learner\" object); save it with Booster.save_model('model.json')",
      {
        file: modelFile,
      },
    );
  }
  if (featuresFile) readJsonFile(featuresFile, "--features");
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-register-"));
  cpSync(modelFile, path.join(dir, "model.json"));
  if (featuresFile) cpSync(featuresFile, path.join(dir, "features.json"));
  return dir;
}

function readJsonFile(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read ${flag} file (${(err as NodeJS.ErrnoException).code ?? err})`, {
      file,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`invalid JSON: ${(err as Error).message}`, { file });
  }
}
