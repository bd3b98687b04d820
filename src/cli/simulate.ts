import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { readPaysim } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { parseDrift, parseDuration, simulateTraffic, type SimulationSummary } from "../simulate/index.js";
import { positiveNumber, wholeNumber } from "./option-values.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface SimulateOptions {
  dataset: string;
  url: string;
  rate: number;
  duration: string;
  labelsAfter?: string;
  drift?: string;
  tokenFile?: string;
  concurrency: number;
  json?: boolean;
}

/** `lakay simulate`: traffic for a running `lakay serve`, to watch experiments, drift and alerts. */
export function registerSimulateCommand(program: Command): void {
  program
    .command("simulate")
    .description(
      "replay PaySim rows to a running lakay serve at a rate; send their labels as feedback after a delay; optionally drift a field",
    )
    .requiredOption("--dataset <file>", "PaySim CSV (rows are replayed in order, cycling)")
    .option("--url <url>", "base URL of lakay serve", "http://127.0.0.1:8000")
    .option("--rate <n>", "requests per second", positiveNumber, 500)
    .option("--duration <d>", "how long to send, e.g. 60s, 2m", "60s")
    .option("--labels-after <d>", "send each row's isFraud as feedback this long after scoring it (e.g. 30s)")
    .option("--drift <spec>", "from a point on, scale a field: FIELD*FACTOR@PERCENT%, e.g. amount*5@50%")
    .option(
      "--token-file <file>",
      "file holding a bearer token (feedback needs one; default LAKAY_TOKEN); never pass a token as an argument",
    )
    .option("--concurrency <n>", "requests in flight at most", wholeNumber(1), 64)
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Prints a progress line on a terminal, then a summary: sent, 2xx, errors, latency percentiles (client
side), labels sent. Exit 1 when a request failed. Labels of the last rows arrive after the delay, so
the run lasts --duration plus --labels-after.

Example:
  lakay tokens create --name sim --role operator --json | jq -r .token > sim.token
  lakay simulate --dataset paysim.csv --url http://127.0.0.1:8000 --rate 500 --duration 60s \\
    --labels-after 30s --drift 'amount*5@50%' --token-file sim.token
`,
    )
    .action(
      action(async (opts: SimulateOptions) => {
        let url: URL;
        try {
          url = new URL(opts.url);
        } catch {
          throw new BadInputError(`expected an http:// URL (got ${JSON.stringify(opts.url)})`, {
            field: "--url",
          });
        }
        const durationMs = parseDuration(opts.duration, "--duration");
        const labelsAfterMs = opts.labelsAfter ? parseDuration(opts.labelsAfter, "--labels-after") : null;
        const drift = opts.drift ? parseDrift(opts.drift) : null;
        const token = opts.tokenFile
          ? readFileSync(opts.tokenFile, "utf8").trim()
          : process.env.LAKAY_TOKEN?.trim() || undefined;
        if (labelsAfterMs !== null && !token)
          throw new BadInputError(
            "--labels-after sends feedback, which needs a token: --token-file or LAKAY_TOKEN",
            {
              field: "--token-file",
            },
          );
        const { tx } = await readPaysim(opts.dataset);
        const tty = process.stderr.isTTY === true && !opts.json;
        const summary = await simulateTraffic({
          url: url.toString(),
          tx,
          rate: opts.rate,
          durationMs,
          labelsAfterMs,
          drift,
          token,
          concurrency: opts.concurrency,
          idPrefix: `sim-${randomBytes(4).toString("hex")}`,
          onProgress: tty
            ? (p) =>
                process.stderr.write(
                  `\rsimulate: ${(p.elapsedMs / 1000).toFixed(1)}s sent ${p.sent} ok ${p.ok} errors ${p.errors}` +
                    `${labelsAfterMs !== null ? ` labels ${p.labelsSent}` : ""}${p.drifting ? " DRIFTING" : ""}\x1b[K`,
                )
            : undefined,
        });
        if (tty) process.stderr.write("\r\x1b[K");
        emit(opts, summary, () => printSummary(summary));
        if (summary.errors > 0) process.exitCode = 1;
      }),
    );
}

function printSummary(s: SimulationSummary): void {
  const l = s.latency_ms;
  const ms = (x: number | null) => (x === null ? "-" : x.toFixed(1));
  process.stdout.write(
    `Sent ${s.sent} requests to ${s.url} in ${s.duration_s.toFixed(1)} s (${s.achieved_rate.toFixed(0)}/s, target ${s.target_rate}/s): ` +
      `${s.ok_2xx} 2xx, ${s.errors} errors\n` +
      table(
        ["latency ms", "p50", "p90", "p95", "p99", "max"],
        [["", ms(l.p50), ms(l.p90), ms(l.p95), ms(l.p99), ms(l.max)]],
      ) +
      "\n" +
      (s.labels
        ? `Labels: ${s.labels.sent} sent (${s.labels.fraud} fraud), ${s.labels.accepted} accepted, ${s.labels.errors} refused\n`
        : "") +
      (s.drift
        ? `Drift: ${s.drift.field} x${s.drift.factor} from ${(s.drift.from * 100).toFixed(0)}% (request ${s.drift.started_at_request ?? "never"})\n`
        : "") +
      (s.first_error ? `First error: ${s.first_error}\n` : ""),
  );
}
