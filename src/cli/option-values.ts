import type { Argument, Command, Option } from "commander";
import { BadInputError, maskUri } from "../errors/index.js";

/**
 * Commander runs an option's value parser while it reads the command line: before any action, so
 * outside the error mapping of `action()`. A parser that throws one of Lakay's typed errors would
 * escape as an uncaught exception with a stack trace; commander's own `InvalidArgumentError` prints
 * commander's wording. So every parser in the program is wrapped once, here: whatever it throws
 * becomes one `BadInputError` (exit 2) that names the option and the value, e.g.
 * `invalid version "abc" for --version: expected a positive integer`.
 */
export function reportOptionValueErrors(program: Command): void {
  for (const cmd of commandTree(program)) {
    for (const option of cmd.options) wrapParser(option, option.long ?? option.flags);
    for (const argument of cmd.registeredArguments) wrapParser(argument, `<${argument.name()}>`);
  }
}

/** The program and every command below it, depth first. */
export function commandTree(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((sub) => commandTree(sub))];
}

function wrapParser(target: Option | Argument, flag: string): void {
  const parse = target.parseArg;
  if (!parse) return;
  target.parseArg = <T>(value: string, previous: T): T => {
    try {
      return parse(value, previous);
    } catch (err) {
      throw new BadInputError(optionValueMessage(flag, value, err), {}, { cause: err });
    }
  };
}

/**
 * Keeps the parser's own wording when it names the value (`invalid version "abc": expected …`),
 * else says "value"; the reason is the parser's "expected …" sentence without a final period.
 * A password in a URI value is masked, as everywhere else.
 */
export function optionValueMessage(flag: string, value: string, err: unknown): string {
  const reason = (err instanceof Error ? err.message : String(err))
    .trim()
    .replace(/\.$/, "")
    .replace(/^Allowed choices are /, "expected one of "); // commander's words for `.choices()`
  const own = /^(invalid [^"]*"(?:[^"\\]|\\.)*")(: .*)$/s.exec(reason);
  if (own) return `${own[1]} for ${flag}${own[2]}`;
  return `invalid value ${JSON.stringify(maskUri(value))} for ${flag}: ${reason}`;
}

// Value parsers for typed options. Each throws with the "expected …" sentence; the wrapper above
// adds the option and the value. Given to commander as `.option(flags, description, parser)`.

/** A whole number of at least `min` (`--rows`, `--sample-size`, `--threads`). */
export const wholeNumber =
  (min = 0) =>
  (v: string): number => {
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`expected a whole number >= ${min}`);
    return n;
  };

/** A whole number, negative allowed (`--hour-shift`). */
export const integer = (v: string): number => {
  const n = /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error("expected a whole number");
  return n;
};

/** A random seed: what the seeded generators take, 0 to 2^32 - 1. */
export const seed = (v: string): number => {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n > 2 ** 32 - 1)
    throw new Error("expected a whole number from 0 to 4294967295");
  return n;
};

/** A number above 0 (`--amount-scale`). */
export const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (v.trim() === "" || !(n > 0) || !Number.isFinite(n)) throw new Error("expected a number > 0");
  return n;
};

/** A number in [lo, hi], or [lo, hi) when `hiOpen` (`--fraud-rate`, `--eval-fraction`). */
export const numberBetween =
  (lo: number, hi: number, hiOpen = false) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !(n >= lo && (hiOpen ? n < hi : n <= hi)))
      throw new Error(`expected a number from ${lo} to ${hiOpen ? "below " : ""}${hi}`);
    return n;
  };

/** An ISO-8601 date or instant (`--since 2026-01-01`). Kept as given: the store compares ISO strings. */
export const isoDate = (v: string): string => {
  const day = v.trim().slice(0, 10);
  // Date.parse rolls 2026-02-30 over to March: the calendar day must survive the round trip.
  const real =
    !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) &&
    new Date(`${day}T00:00:00Z`).toISOString().startsWith(day);
  if (
    !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v.trim()) ||
    !real ||
    Number.isNaN(Date.parse(v))
  )
    throw new Error("expected an ISO-8601 date such as 2026-01-01 or 2026-01-01T12:00:00Z");
  return v.trim();
};

/** A repeatable `KEY=VALUE` (`--tag dataset=paysim --tag owner=fraud-team`), collected in order. */
export const keyValueList = (v: string, previous: string[] = []): string[] => {
  if (v.indexOf("=") <= 0) throw new Error("expected KEY=VALUE");
  return [...previous, v];
};

/** An age in days from `400d`, `52w` or `5y` (a year is 365 days): `--older-than`. */
export const ageInDays = (v: string): number => {
  const m = /^\s*(\d+)\s*([dwy])\s*$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n <= 0) throw new Error("expected an age such as 400d, 60w or 5y");
  return n * { d: 1, w: 7, y: 365 }[m[2] as "d" | "w" | "y"];
};
