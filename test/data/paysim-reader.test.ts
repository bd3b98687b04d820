import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readPaysim, transactionAt, TX_TYPES, txTypeCode } from "../../src/data/index.js";
import { BadInputError, NotFoundError } from "../../src/errors/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-paysim-"));
const HEADER =
  "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud";
const ROW = "1,PAYMENT,9839.64,C1231006815,170136,160296.36,M1979787155,0,0,0,0";

function write(name: string, text: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Same data with columns reordered by `perm`. */
function shuffleColumns(text: string, perm: number[]): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l !== "")
    .map((l) => {
      const f = l.split(",");
      return perm.map((p) => f[p]).join(",");
    })
    .join("\n");
}

describe("readPaysim on the real PaySim sample", () => {
  it("reads 19,999 rows and 81 fraud, with its quirks", async () => {
    const r = await readPaysim(PAYSIM_SAMPLE);
    const { tx } = r;
    expect(r.labeled).toBe(true);
    expect(tx.rows).toBe(19999);
    expect(tx.isFraud!.reduce((a, b) => a + b, 0)).toBe(81);
    expect(Math.min(...tx.step)).toBe(1);
    expect(Math.max(...tx.step)).toBe(8);
    expect(r.rejected).toEqual({});
    expect(transactionAt(tx, 0)).toEqual({
      step: 1,
      type: "PAYMENT",
      amount: 9839.64,
      nameOrig: "C1231006815",
      oldbalanceOrg: 170136,
      newbalanceOrig: 160296.36,
      nameDest: "M1979787155",
      oldbalanceDest: 0,
      newbalanceDest: 0,
      isFraud: 0,
      isFlaggedFraud: 0,
    });
    // exponent notation (1.92E+07 style) parses to the same number as the text says
    const text = readFileSync(PAYSIM_SAMPLE, "latin1").split("\r\n");
    const i = text.findIndex((l) => /E\+/.test(l));
    expect(i).toBeGreaterThan(0);
    const f = text[i].split(",");
    expect(tx.oldbalanceDest[i - 1]).toBe(Number(f[7]));
    expect(tx.newbalanceDest[i - 1]).toBe(Number(f[8]));
  });

  it("reads a file with shuffled columns, a BOM, gzip the same", async () => {
    const base = await readPaysim(PAYSIM_SAMPLE);
    const text = readFileSync(PAYSIM_SAMPLE, "latin1");
    const perm = [10, 3, 0, 8, 1, 6, 2, 9, 4, 7, 5];
    const shuffled = write("shuffled.csv", "\ufeff" + shuffleColumns(text, perm) + "\n");
    const gz = write("sample.csv.gz", gzipSync(readFileSync(PAYSIM_SAMPLE)));
    for (const file of [shuffled, gz]) {
      const { tx } = await readPaysim(file);
      expect(tx.rows).toBe(base.tx.rows);
      for (const k of [
        "step",
        "type",
        "amount",
        "oldbalanceOrg",
        "newbalanceOrig",
        "oldbalanceDest",
        "newbalanceDest",
        "isFraud",
        "isFlaggedFraud",
      ] as const)
        expect(tx[k]).toEqual(base.tx[k]);
      for (let i = 0; i < tx.rows; i += 997) expect(transactionAt(tx, i)).toEqual(transactionAt(base.tx, i));
    }
  });

  it("reads the same through the general path as through the fast path", async () => {
    // Quoted names and a trailing space before CRLF push every line off the fast path.
    const text = readFileSync(PAYSIM_SAMPLE, "latin1")
      .split("\r\n")
      .map((l, i) => (i === 0 ? l : l.replace(/,([CM]\d+),/g, ',"$1",')))
      .join("\r\n");
    const slow = await readPaysim(write("quoted.csv", text));
    const fast = await readPaysim(PAYSIM_SAMPLE);
    expect(slow.tx.rows).toBe(fast.tx.rows);
    for (const k of [
      "step",
      "type",
      "amount",
      "oldbalanceOrg",
      "newbalanceOrig",
      "oldbalanceDest",
      "newbalanceDest",
      "nameOrig",
      "nameDest",
      "isFraud",
    ] as const)
      expect(slow.tx[k]).toEqual(fast.tx[k]);
    expect(slow.tx.origNames.get(5)).toBe(fast.tx.origNames.get(5));
  });

  it("honours sampleSize as a head sample", async () => {
    const r = await readPaysim(PAYSIM_SAMPLE, { sampleSize: 100 });
    expect(r.tx.rows).toBe(100);
    expect(r.tx.amount[99]).toBe((await readPaysim(PAYSIM_SAMPLE)).tx.amount[99]);
  });
});

describe("readPaysim input forms", () => {
  it("accepts unlabeled files, CASH-IN spellings, exponents, CRLF and no final newline", async () => {
    const file = write(
      "unlabeled.csv",
      "nameDest,type,step,amount,nameOrig,oldbalanceOrg,newbalanceOrig,oldbalanceDest,newbalanceDest\r\n" +
        "C1,CASH-IN,3,1.92E+07,C2,0,1.92E+07,5,0\r\nC1,cash_out,4,10,C2,1.92e7,19199990,0,10",
    );
    const r = await readPaysim(file);
    expect(r.labeled).toBe(false);
    expect(r.tx.isFraud).toBeUndefined();
    expect(Array.from(r.tx.type)).toEqual([0, 1]);
    expect(Array.from(r.tx.amount)).toEqual([19200000, 10]);
    expect(Array.from(r.tx.nameOrig)).toEqual([0, 0]);
    expect(r.tx.origNames.get(0)).toBe("C2");
  });

  it("keeps names that do not look like PaySim's", async () => {
    const file = write(
      "names.csv",
      `${HEADER}\n1,PAYMENT,1,C007,0,0,alice@example,0,0,0,0\n2,PAYMENT,1,C007,0,0,M1,0,0,0,0\n`,
    );
    const { tx } = await readPaysim(file);
    expect(tx.origNames.get(tx.nameOrig[1])).toBe("C007");
    expect(tx.destNames.get(tx.nameDest[0])).toBe("alice@example");
    expect(tx.nameOrig[0]).toBe(tx.nameOrig[1]);
  });

  it("without destination names: every other column the same, empty ones still rejected", async () => {
    const full = await readPaysim(PAYSIM_SAMPLE);
    const r = await readPaysim(PAYSIM_SAMPLE, { destinationNames: false });
    for (const k of ["step", "type", "amount", "oldbalanceDest", "nameOrig", "isFraud"] as const)
      expect(r.tx[k]).toEqual(full.tx[k]);
    expect(r.tx.nameDest.every((id) => id === 0)).toBe(true);
    expect(() => r.tx.destNames.get(0)).toThrow(/destination names were not read/);
    // Quoted names go through the general path: the same checks without the name table.
    const file = write(
      "no-dest.csv",
      `${HEADER}\n1,PAYMENT,1,"C7",0,0,"M1",0,0,0,0\n1,PAYMENT,1,C7,0,0,"",0,0,0,0\n1,PAYMENT,1,C7,0,0,,0,0,0,0\n`,
    );
    const skipped = await readPaysim(file, { destinationNames: false, onBadRows: "skip" });
    expect(skipped.tx.rows).toBe(1);
    expect(skipped.rejected).toEqual({ empty_name: 2 });
    expect(skipped.tx.origNames.get(skipped.tx.nameOrig[0])).toBe("C7");
  });

  it("shared: the money columns in shared memory, also after growing past the first guess", async () => {
    // Rows far shorter than the ~70 bytes the first allocation assumes: the columns grow.
    const lines = [HEADER];
    for (let i = 0; i < 5000; i++) lines.push(`${1 + (i % 9)},CASH_IN,${i}.5,C${i % 37},1,2,M1,3,${i},0,0`);
    const file = write("short-rows.csv", lines.join("\n"));
    const plain = await readPaysim(file);
    const shared = await readPaysim(file, { shared: true });
    expect(shared.tx.rows).toBe(5000);
    for (const k of [
      "amount",
      "oldbalanceOrg",
      "newbalanceOrig",
      "oldbalanceDest",
      "newbalanceDest",
    ] as const) {
      expect(shared.tx[k].buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared.tx[k]).toEqual(plain.tx[k]);
    }
    expect(shared.tx.amount[4999]).toBe(4999.5);
  });

  it("maps type names to codes", () => {
    expect(TX_TYPES.map(txTypeCode)).toEqual([0, 1, 2, 3, 4]);
    expect(txTypeCode("CASH-OUT")).toBe(1);
    expect(txTypeCode("REFUND")).toBe(-1);
  });
});

describe("readPaysim bad input", () => {
  const bad = async (text: string | Buffer, name = "bad.csv") => {
    const err = await readPaysim(write(name, text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).exitCode).toBe(2);
    return (err as Error).message;
  };

  it("a missing file", async () => {
    const err = await readPaysim(join(dir, "nope.csv")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/nope\.csv: file not found/);
  });

  it("an empty file, a header only with blank first line", async () => {
    expect(await bad("", "empty.csv")).toMatch(/empty\.csv: file is empty/);
    expect(await bad("\n\n", "blank.csv")).toMatch(/first line is empty/);
  });

  it("a missing required column, named", async () => {
    expect(await bad(HEADER.replace("amount,", "") + "\n")).toMatch(/missing required column "amount"/);
  });

  it("a bad value: file, line, column, value and what was expected", async () => {
    const msg = await bad(`${HEADER}\n${ROW}\n${ROW.replace("9839.64", "98x9")}\n`);
    expect(msg).toContain("bad.csv, line 3, column amount");
    expect(msg).toContain('"98x9"');
    expect(msg).toMatch(/expected an amount/);
  });

  it("an unknown type, a negative amount, a bad label, a wrong field count", async () => {
    expect(await bad(`${HEADER}\n${ROW.replace("PAYMENT", "REFUND")}`)).toMatch(
      /line 2, column type: unknown transaction type "REFUND"/,
    );
    expect(await bad(`${HEADER}\n${ROW.replace("9839.64", "-5")}`)).toMatch(
      /line 2, column amount: negative amount -5/,
    );
    expect(await bad(`${HEADER}\n${ROW.replace(/0$/, "2")}`)).toMatch(
      /column isFlaggedFraud: "2" is not a label/,
    );
    expect(await bad(`${HEADER}\n${ROW},7`)).toMatch(/line 2: expected 11 fields, found 12/);
    expect(await bad(`${HEADER}\n${ROW.replace("C1231006815", "")}`)).toMatch(
      /column nameOrig: empty account name/,
    );
  });

  it("a gzip file that is not gzip", async () => {
    expect(await bad("not gzip at all", "fake.csv.gz")).toMatch(/not a valid gzip file/);
  });

  it("skip mode drops bad rows and counts them per reason", async () => {
    const text = [
      HEADER,
      ROW,
      ROW.replace("PAYMENT", "REFUND"),
      ROW.replace("9839.64", "-1"),
      ROW.replace("9839.64", "abc"),
      ROW.replace("170136", "n/a"),
      ROW + ",extra",
      ROW,
    ].join("\n");
    const r = await readPaysim(write("skip.csv", text), { onBadRows: "skip" });
    expect(r.tx.rows).toBe(2);
    expect(r.rejected).toEqual({
      unknown_type: 1,
      negative_amount: 1,
      invalid_number: 2,
      wrong_field_count: 1,
    });
    expect(r.rejectedExamples.invalid_number).toMatch(/line 5, column amount/);
  });
});
