import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { BadInputError } from "../errors/index.js";
import { withLakay } from "../app/index.js";
import { type AuditEntry } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { emit } from "./output.js";
import { isoDate } from "./option-values.js";
import { action } from "./run-command.js";

interface AuditCliOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

/** `lakay audit verify|export`: the tamper-evident trail a compliance review reads. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("the append-only, hash-chained audit log");

  addRegistryOptions(
    audit.command("verify").description("recompute the whole hash chain; name the first broken entry"),
  )
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      "\nExample:\n  lakay audit verify --json\n\nExit status 1 when the chain is broken.",
    )
    .action(
      action(async (opts: AuditCliOptions) => {
        const result = await withLakay(opts, (reg) => reg.verifyAudit());
        emit(opts, result, () => {
          if (result.ok)
            console.log(
              `audit log intact: ${result.checked} entries verified${result.headHash ? `, head ${result.headHash}` : ""}`,
            );
          else
            console.log(
              `audit log BROKEN at entry ${result.firstBroken!.seq}: ${result.firstBroken!.reason} (${result.checked} entries verified before it)`,
            );
        });
        if (!result.ok) process.exitCode = 1;
      }),
    );

  addRegistryOptions(audit.command("export").description("export audit entries for a compliance review"))
    .requiredOption("--since <date>", "ISO-8601 date or instant, e.g. 2026-01-01", isoDate)
    .option("--format <format>", "csv or json", "json")
    .option("--model <name>", "only entries about this model")
    .option("--out <file>", "write to a file instead of stdout")
    .addHelpText(
      "after",
      "\nExample:\n  lakay audit export --since 2026-01-01 --format csv --out audit-2026.csv",
    )
    .action(
      action(
        async (opts: AuditCliOptions & { since: string; format: string; model?: string; out?: string }) => {
          if (opts.format !== "csv" && opts.format !== "json") {
            throw new BadInputError(`unknown format ${JSON.stringify(opts.format)} (known: csv, json)`, {
              field: "--format",
            });
          }
          const entries = await withLakay(opts, (reg) =>
            reg.listAudit({ since: opts.since, model: opts.model }),
          );
          const text = opts.format === "csv" ? auditCsv(entries) : JSON.stringify(entries, null, 2) + "\n";
          if (opts.out) {
            writeFileSync(opts.out, text);
            process.stderr.write(`lakay: wrote ${entries.length} audit entries to ${opts.out}\n`);
          } else process.stdout.write(text);
        },
      ),
    );
}

const CSV_COLUMNS = [
  "seq",
  "timestamp",
  "actor",
  "action",
  "model",
  "version",
  "details",
  "prev_hash",
  "hash",
] as const;

/** RFC 4180 CSV; `details` is the entry's canonical JSON. */
export function auditCsv(entries: AuditEntry[]): string {
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = entries.map((e) =>
    [e.seq, e.timestamp, e.actor, e.action, e.model, e.version, e.details, e.prevHash, e.hash]
      .map(cell)
      .join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].join("\n") + "\n";
}
