import { describe, expect, it } from "vitest";
import { rootProgram } from "../../src/cli/root-program.js";
import { cliState } from "../../src/cli/run-command.js";
import { log } from "../../src/log/index.js";

describe("the root program's --verbose", () => {
  it("turns on debug logs before the command's action runs (the logger is loaded only then)", async () => {
    const levels: string[] = [];
    const program = rootProgram();
    program.command("probe").action(() => {
      levels.push(log().level);
    });
    const before = { verbose: cliState.verbose, level: log().level };
    try {
      log().level = "info";
      await program.parseAsync(["node", "lakay", "probe"]);
      await program.parseAsync(["node", "lakay", "probe", "--verbose"]);
      expect(levels).toEqual(["info", "debug"]);
      expect(cliState.verbose).toBe(true);
    } finally {
      cliState.verbose = before.verbose;
      log().level = before.level;
    }
  });
});
