import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { commandTree } from "../../src/cli/option-values.js";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../helpers/cli.js";

/**
 * Every typed option (one with a value parser) of every command, given a wrong value, exits 2 with
 * one line naming the option — never a stack trace. Driven from the program's own definitions, so a
 * new command or option is covered without editing this test.
 */
const WRONG_VALUES = ["abc", "-1", "1.5", "0", "", "2026-02-30", "ftp://nowhere", "99999999999999999999"];

interface TypedOption {
  path: string[];
  option: Option;
  wrong: string;
}

function commandPath(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/** Each typed option with the first wrong value its parser refuses (found by asking the parser). */
function typedOptions(): { typed: TypedOption[]; acceptsEverything: string[] } {
  const typed: TypedOption[] = [];
  const acceptsEverything: string[] = [];
  for (const cmd of commandTree(buildProgram())) {
    for (const option of cmd.options) {
      if (!option.parseArg || !option.long) continue;
      const wrong = WRONG_VALUES.find((v) => {
        try {
          option.parseArg!(v, undefined);
          return false;
        } catch {
          return true;
        }
      });
      const path = commandPath(cmd);
      if (wrong === undefined) acceptsEverything.push(`${path.join(" ")} ${option.long}`);
      else typed.push({ path, option, wrong });
    }
  }
  return { typed, acceptsEverything };
}

describe("a wrong value for a typed option", () => {
  const { typed, acceptsEverything } = typedOptions();

  it("is refused by every typed option's parser (a parser that takes anything is no type)", () => {
    expect(acceptsEverything).toEqual([]);
    expect(typed.length).toBeGreaterThan(20);
    // versions, counts, seeds, fractions, dates and URIs are all typed somewhere
    const longs = new Set(typed.map((t) => t.option.long));
    for (const flag of ["--version", "--rows", "--seed", "--threads", "--since", "--registry-uri"])
      expect(longs, flag).toContain(flag);
  });

  it.each(typed.map((t) => [`${t.path.join(" ")} ${t.option.long} ${JSON.stringify(t.wrong)}`, t] as const))(
    "%s: exit 2, one line naming the option, no stack trace",
    (_name, { path, option, wrong }) => {
      const r = runCli([...path, `${option.long}=${wrong}`]);
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^lakay: invalid .* for --[a-z-]+: expected /);
      expect(lines[0]).toContain(` for ${option.long}: `);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it("says the stack trace with --verbose", () => {
    const r = runCli(["--verbose", "validate", "--model", "m", "--version", "abc"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('lakay: invalid version "abc" for --version: expected a positive integer');
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
