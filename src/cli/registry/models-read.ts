import path from "node:path";
import type { Command } from "commander";
import { withLakay } from "../../app/index.js";
import { emit, table } from "../output.js";
import { action } from "../run-command.js";
import {
  jsonOption,
  versionJson,
  versionSelectorUri,
  versionsTable,
  type RegistryCliOptions,
} from "./shared.js";

/** `lakay models list|show|versions|download|history`: reading the model registry. */
export function registerModelReadCommands(models: Command): void {
  jsonOption(
    models.command("list").description("list registered models with their Production version and aliases"),
  )
    .addHelpText("after", "\nExample:\n  lakay models list --json")
    .action(
      action(async (opts: RegistryCliOptions) => {
        const rows = await withLakay(opts, async (reg) => {
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
        const { model, versions } = await withLakay(opts, async (reg) => ({
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
        const versions = await withLakay(opts, (reg) => reg.listVersions(name));
        emit(opts, versions.map(versionJson), () => console.log(versionsTable(versions)));
      }),
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
        const files = await withLakay(opts, async (reg) => {
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
          const state = await withLakay(opts, (reg) => reg.stateAt(name, opts.at!));
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
        const events = await withLakay(opts, (reg) => reg.history(name));
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
}
