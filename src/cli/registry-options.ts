import type { Command } from "commander";
import { registryScheme } from "../registry/index.js";

/**
 * Adds `--registry-uri` and `--artifact-root` to a command, worded the same everywhere. The URI's
 * scheme is checked while the command line is read, so a typo is a usage error before any work.
 */
export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option(
      "--registry-uri <uri>",
      "registry database: sqlite:///path.db or postgresql://user:pass@host:port/db (env LAKAY_REGISTRY_URI)",
      (uri: string) => (registryScheme(uri), uri),
    )
    .option(
      "--artifact-root <uri>",
      "artifact store: a folder, file:///path or s3://bucket/prefix (env LAKAY_ARTIFACT_ROOT)",
    );
}
