import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests talk to real PostgreSQL, S3 and XGBoost: give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The default report, and the names of files still running after five minutes (see the file).
    reporters: ["default", "./test/reporters/long-running-files.ts"],
    maxWorkers: 2,
    // One temporary folder for the whole run, removed at its end (see the file).
    globalSetup: ["./test/setup/temp-root.ts"],
  },
});
