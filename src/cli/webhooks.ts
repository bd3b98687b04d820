import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { BadInputError } from "../errors/index.js";
import {
  addWebhook,
  listDeliveries,
  listWebhooks,
  parseWebhookEvents,
  removeWebhook,
  WEBHOOK_EVENTS,
} from "../monitoring/index.js";
import { withLakay } from "../app/index.js";
import { defaultActor } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { wholeNumber } from "./option-values.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

/** `--events`: the option-value wrapper names the option, so the sentence is just "expected …". */
const eventList = (v: string) => {
  try {
    return parseWebhookEvents(v);
  } catch {
    throw new Error(`expected a comma-separated list of ${WEBHOOK_EVENTS.join(", ")}`);
  }
};

interface Common {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  by?: string;
}

/** `lakay webhooks add|list|remove|deliveries`: signed event notifications from lakay serve. */
export function registerWebhooksCommands(program: Command): void {
  const hooks = program
    .command("webhooks")
    .description("signed HTTP notifications of promotions, rollbacks, alerts and more");
  addRegistryOptions(
    hooks
      .command("add")
      .description("subscribe a URL to events")
      .requiredOption("--url <url>", "where to POST (http or https)")
      .requiredOption("--events <list>", `comma-separated: ${WEBHOOK_EVENTS.join(",")}`, eventList)
      .requiredOption("--secret-file <file>", "file holding the HMAC-SHA256 secret (at least 16 characters)")
      .option("--by <who>", "who adds it (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print JSON"),
  )
    .addHelpText(
      "after",
      `
Each delivery is a JSON body {id, event, created_at, data} with headers x-lakay-event,
x-lakay-delivery, x-lakay-timestamp and x-lakay-signature: sha256=HEX, the HMAC-SHA256 of
"TIMESTAMP.BODY" with the secret. Failed deliveries are retried with backoff (5 attempts).

Example:
  lakay webhooks add --url https://ops.example/hooks/lakay --events alert,rollback --secret-file hook.secret
`,
    )
    .action(
      action(
        async (
          opts: Common & { url: string; events: ReturnType<typeof parseWebhookEvents>; secretFile: string },
        ) => {
          let secret: string;
          try {
            secret = readFileSync(opts.secretFile, "utf8").trim();
          } catch (err) {
            throw new BadInputError(`cannot read ${opts.secretFile}: ${(err as Error).message}`, {
              file: opts.secretFile,
            });
          }
          const w = await withLakay(opts, (reg) =>
            addWebhook(reg, { url: opts.url, events: opts.events, secret, actor: opts.by || defaultActor() }),
          );
          emit(opts, w, () => process.stdout.write(`Webhook ${w.id}: ${w.url} (${w.events.join(", ")})\n`));
        },
      ),
    );

  addRegistryOptions(
    hooks.command("list").description("list webhooks (never their secrets)").option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay webhooks list --json\n")
    .action(
      action(async (opts: Common) => {
        const all = await withLakay(opts, (reg) => listWebhooks(reg));
        emit(opts, all, () =>
          process.stdout.write(
            (all.length
              ? table(
                  ["id", "url", "events", "created", "by"],
                  all.map((w) => [String(w.id), w.url, w.events.join(","), w.createdAt, w.createdBy]),
                )
              : "no webhooks") + "\n",
          ),
        );
      }),
    );

  addRegistryOptions(
    hooks
      .command("remove <id>")
      .description("stop sending to a webhook")
      .option("--by <who>", "who removes it")
      .option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay webhooks remove 2\n")
    .action(
      action(async (id: string, opts: Common) => {
        const n = wholeNumber(1)(id);
        await withLakay(opts, (reg) => removeWebhook(reg, n, opts.by || defaultActor()));
        emit(opts, { id: n, removed: true }, () => process.stdout.write(`Removed webhook ${n}\n`));
      }),
    );

  addRegistryOptions(
    hooks
      .command("deliveries")
      .description("the delivery log: every attempt with its status")
      .option("--webhook <id>", "only this webhook", wholeNumber(1))
      .option("--limit <n>", "newest N attempts", wholeNumber(1), 50)
      .option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay webhooks deliveries --webhook 1 --limit 20\n")
    .action(
      action(async (opts: Common & { webhook?: number; limit: number }) => {
        const rows = await withLakay(opts, (reg) =>
          listDeliveries(reg, { webhookId: opts.webhook, limit: opts.limit }),
        );
        emit(opts, rows, () =>
          process.stdout.write(
            (rows.length
              ? table(
                  ["when", "webhook", "event", "attempt", "status", "ok", "error"],
                  rows.map((r) => [
                    r.ts,
                    String(r.webhook_id),
                    r.event,
                    String(r.attempt),
                    String(r.status_code ?? "-"),
                    r.ok ? "yes" : "no",
                    r.error ?? "",
                  ]),
                )
              : "no deliveries") + "\n",
          ),
        );
      }),
    );
}
