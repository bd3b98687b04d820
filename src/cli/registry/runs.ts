import { Option, type Command } from "commander";
import { BadInputError } from "../../errors/index.js";
import { withLakay } from "../../app/index.js";
import { parseVersionNumber, type Run } from "../../registry/index.js";
import { keyValueList } from "../option-values.js";
import { emit, table } from "../output.js";
import { action } from "../run-command.js";
import { jsonOption, parseTags, type RegistryCliOptions } from "./shared.js";

/** `lakay runs list|show`: training runs with their params, metrics, tags and artifacts. */
export function registerRunsCommands(program: Command): void {
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
          const list = await withLakay(opts, (reg) =>
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
        const { run, artifacts } = await withLakay(opts, async (reg) => ({
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
