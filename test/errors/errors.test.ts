import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as errors from "../../src/errors/index.js";

const docs = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

describe("typed errors", () => {
  type ErrorClass = new (message: string) => errors.LakayError;
  const instances = Object.values(errors)
    .filter((v) => typeof v === "function" && v.prototype instanceof errors.LakayError)
    .map((Cls) => new (Cls as unknown as ErrorClass)("x"));

  it("covers every error class", () => {
    expect(instances.length).toBeGreaterThanOrEqual(6);
  });

  it.each(instances.map((e) => [e.name, e] as const))(
    "%s is documented with its exit code and status",
    (_, e) => {
      const row = docs.split("\n").find((l) => l.startsWith(`| \`${e.code}\``));
      expect(row, `docs/errors.md has no row for ${e.code}`).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(Number(cells[2])).toBe(e.exitCode);
      expect(Number(cells[3])).toBe(e.httpStatus);
    },
  );

  it("names the file, line and column of bad input", () => {
    const e = new errors.BadInputError("expected a number, got 'abc'", {
      file: "x.csv",
      line: 3,
      column: "amount",
    });
    expect(e.message).toBe("x.csv, line 3, column amount: expected a number, got 'abc'");
    expect(e.exitCode).toBe(2);
  });

  it("masks passwords in URIs", () => {
    expect(errors.maskUri("postgresql://lakay:s3cret@db:5432/reg")).toBe(
      "postgresql://lakay:****@db:5432/reg",
    );
    expect(errors.maskUri("sqlite:///tmp/x.db")).toBe("sqlite:///tmp/x.db");
  });
});
