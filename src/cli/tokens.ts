import type { Command } from "commander";
import { withLakay } from "../app/index.js";
import { defaultActor } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { createApiToken, listApiTokens, revokeApiToken, TOKEN_ROLES } from "../serving/index.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface Common {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  by?: string;
}

/** `lakay tokens create|list|revoke`: bearer tokens for the serving API's state-changing endpoints. */
export function registerTokensCommands(program: Command): void {
  const tokens = program
    .command("tokens")
    .description(
      "API tokens for lakay serve (stored hashed; the token's name is the actor in the audit log)",
    );

  addRegistryOptions(
    tokens
      .command("create")
      .description("create a token and print it once")
      .requiredOption("--name <name>", "who the token is for (the actor in the audit log)")
      .requiredOption("--role <role>", `one of ${TOKEN_ROLES.join(", ")}`)
      .option("--by <who>", "who creates it (default LAKAY_ACTOR or the OS user)")
      .option("--json", 'print {"name", "role", "token"}'),
  )
    .addHelpText(
      "after",
      "\nThe token is shown once and cannot be recovered; revoke and create again if lost.\n\nExample:\n  lakay tokens create --name alice --role ml_engineer\n",
    )
    .action(
      action(async (opts: Common & { name: string; role: string }) => {
        const { token, record } = await withLakay(opts, (reg) =>
          createApiToken(reg, { name: opts.name, role: opts.role, by: opts.by || defaultActor() }),
        );
        emit(opts, { name: record.name, role: record.role, token }, () =>
          process.stdout.write(
            `Token for ${record.name} (${record.role}); shown once, keep it secret:\n${token}\n`,
          ),
        );
      }),
    );

  addRegistryOptions(
    tokens
      .command("list")
      .description("list tokens (names, roles, who and when; never the tokens)")
      .option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay tokens list --json\n")
    .action(
      action(async (opts: Common) => {
        const all = await withLakay(opts, (reg) => listApiTokens(reg));
        emit(
          opts,
          all.map((t) => ({
            name: t.name,
            role: t.role,
            created_at: t.createdAt,
            created_by: t.createdBy,
            revoked_at: t.revokedAt,
            revoked_by: t.revokedBy,
          })),
          () =>
            process.stdout.write(
              (all.length
                ? table(
                    ["name", "role", "created", "by", "revoked"],
                    all.map((t) => [t.name, t.role, t.createdAt, t.createdBy, t.revokedAt ?? "-"]),
                  )
                : "no tokens") + "\n",
            ),
        );
      }),
    );

  addRegistryOptions(
    tokens
      .command("revoke <name>")
      .description("revoke the live token with this name (it stops working at once)")
      .option("--by <who>", "who revokes it (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay tokens revoke alice\n")
    .action(
      action(async (name: string, opts: Common) => {
        await withLakay(opts, (reg) => revokeApiToken(reg, { name, by: opts.by || defaultActor() }));
        emit(opts, { name, revoked: true }, () => process.stdout.write(`Revoked the token of ${name}\n`));
      }),
    );
}
