import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { FAST_START, fastStartGroup } from "../../src/cli/fast-start.js";
import { commandTree } from "../../src/cli/option-values.js";
import { buildProgram } from "../../src/cli/program.js";
import { rootProgram } from "../../src/cli/root-program.js";
import { runCli } from "../helpers/cli.js";

/** Each command below `cmd` by its path, with its full help text (options, arguments, global options). */
function helpByPath(cmd: Command): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of commandTree(cmd)) {
    const path: string[] = [];
    for (let p: Command | null = c; p?.parent; p = p.parent) path.unshift(p.name());
    out.set(path.join(" "), c.helpInformation());
  }
  return out;
}

describe("fast start: a data command loads only its own group", () => {
  const full = buildProgram();

  for (const word of Object.keys(FAST_START)) {
    it(`"lakay ${word} ..." gets the same commands, options and help as the full program`, async () => {
      const alone = rootProgram();
      (await FAST_START[word]())(alone);
      expect(alone.commands.map((c) => c.name())).toEqual([word]);
      const want = full.commands.find((c) => c.name() === word);
      expect(want).toBeDefined();
      expect(helpByPath(alone.commands[0])).toEqual(helpByPath(want!));
    });
  }

  it("starts the whole program for anything else", () => {
    expect(fastStartGroup("serve")).toBeUndefined();
    expect(fastStartGroup("--help")).toBeUndefined();
    expect(fastStartGroup("constructor")).toBeUndefined();
    expect(fastStartGroup(undefined)).toBeUndefined();
  });

  it("a fast-started command still refuses a bad option value with exit 2 and one line", () => {
    const r = runCli(["features", "build", "--dataset", "x.csv", "--out", "y.csv", "--sample-size", "abc"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--sample-size");
  });
});
