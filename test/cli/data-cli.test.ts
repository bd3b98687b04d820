import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-data-cli-"));
const HEADER =
  "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud";
const ROW = "1,PAYMENT,9839.64,C1231006815,170136,160296.36,M1979787155,0,0,0,0";

describe("lakay data inspect", () => {
  it("reports the real sample as JSON", () => {
    const r = runCli(["data", "inspect", PAYSIM_SAMPLE, "--json"]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.rows).toBe(19999);
    expect(s.fraud).toBe(81);
    expect(s.columns).toHaveLength(11);
    expect(
      s.type_counts.PAYMENT +
        s.type_counts.CASH_OUT +
        s.type_counts.CASH_IN +
        s.type_counts.TRANSFER +
        s.type_counts.DEBIT,
    ).toBe(19999);
    expect(s.steps).toEqual({ min: 1, max: 8 });
    expect(s.rejected).toEqual({});
    expect(s.amount.p50).toBeGreaterThan(0);
  });

  it("prints a human summary", () => {
    const r = runCli(["data", "inspect", PAYSIM_SAMPLE]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rows\s+19,999/);
    expect(r.stdout).toMatch(/fraud\s+81/);
  });

  it.each([
    ["a missing file", join(dir, "nope.csv"), /nope\.csv: file not found/],
    ["an empty file", "empty.csv:", /file is empty/],
    ["a missing column", `nocol.csv:${HEADER.replace(",amount", "")}\n`, /missing required column "amount"/],
    [
      "a bad value",
      `badval.csv:${HEADER}\n${ROW.replace("9839.64", "98x9")}\n`,
      /badval.csv, line 2, column amount: "98x9" is not a number/,
    ],
    [
      "an unknown type",
      `badtype.csv:${HEADER}\n${ROW.replace("PAYMENT", "GIFT")}\n`,
      /column type: unknown transaction type "GIFT"/,
    ],
    [
      "a negative amount",
      `neg.csv:${HEADER}\n${ROW.replace("9839.64", "-1")}\n`,
      /column amount: negative amount/,
    ],
  ])("exits 2 with one clear line on %s", (_what, spec, message) => {
    let file = spec;
    if (spec.includes(".csv:")) {
      const [name, text] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
      file = join(dir, name);
      writeFileSync(file, text);
    }
    const r = runCli(["data", "inspect", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("skips bad rows on request and says why", () => {
    const file = join(dir, "mixed.csv");
    writeFileSync(
      file,
      [HEADER, ROW, ROW.replace("PAYMENT", "GIFT"), ROW.replace("9839.64", "x"), ROW].join("\n"),
    );
    const r = runCli(["data", "inspect", file, "--on-bad-rows", "skip", "--json"]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.rows).toBe(2);
    expect(s.rejected).toEqual({ unknown_type: 1, invalid_number: 1 });
    const human = runCli(["data", "inspect", file, "--on-bad-rows", "skip"]);
    expect(human.stdout).toMatch(/rejected\s+2 rows skipped/);
    expect(human.stdout).toMatch(/unknown_type: 1 \(first: .*line 3, column type/);
  });

  it("has help with an example", () => {
    const r = runCli(["data", "inspect", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("lakay data inspect data/paysim.csv");
  });
});

describe("lakay generate paysim and lakay features build", () => {
  it("generate, inspect, build features: one pipeline through the CLI", () => {
    const data = join(dir, "gen.csv");
    const g = runCli(["generate", "paysim", "--rows", "5000", "--seed", "4", "--out", data, "--json"]);
    expect(g.status).toBe(0);
    expect(JSON.parse(g.stdout).rows).toBe(5000);
    const again = join(dir, "gen2.csv");
    expect(runCli(["generate", "paysim", "--rows", "5000", "--seed", "4", "--out", again]).status).toBe(0);
    expect(readFileSync(again).equals(readFileSync(data))).toBe(true);

    const out = join(dir, "features.csv");
    const f = runCli(["features", "build", "--dataset", data, "--out", out, "--json"]);
    expect(f.status).toBe(0);
    expect(JSON.parse(f.stdout).rows).toBe(5000);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(5001);
    expect(lines[0]).toBe(
      "amount,amount_zscore,hour_of_day,day_of_week,tx_type_encoded,balance_delta_sender,balance_delta_receiver,velocity_count_1h,velocity_count_24h,velocity_amount_1h,velocity_amount_24h,isFraud",
    );
  });

  it("features build on unlabeled data has no isFraud column", () => {
    const file = join(dir, "unlabeled.csv");
    writeFileSync(file, `${HEADER.replace(",isFraud,isFlaggedFraud", "")}\n${ROW.replace(/,0,0$/, "")}\n`);
    const out = join(dir, "unlabeled-features.csv");
    expect(runCli(["features", "build", "--dataset", file, "--out", out]).status).toBe(0);
    expect(readFileSync(out, "utf8").split("\n")[0]).not.toContain("isFraud");
  });

  it("rejects bad generator flags with exit 2", () => {
    const r = runCli(["generate", "paysim", "--rows", "-5", "--seed", "1", "--out", join(dir, "x.csv")]);
    expect(r.status).toBe(2);
    const mix = runCli([
      "generate",
      "paysim",
      "--rows",
      "5",
      "--seed",
      "1",
      "--type-mix",
      "GIFT=1",
      "--out",
      join(dir, "x.csv"),
    ]);
    expect(mix.status).toBe(2);
    expect(mix.stderr).toMatch(/bad type mix entry "GIFT=1"/);
  });
});
