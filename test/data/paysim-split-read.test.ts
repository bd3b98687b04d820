import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPaysim, type PaysimReadResult, type ReadPaysimOptions } from "../../src/data/index.js";
import { BadInputError } from "../../src/errors/index.js";
import { SPLIT_MIN_BYTES } from "../../src/data/paysim-split-read.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

// Two threads read a big file's halves (src/data/paysim-split-read.ts): whatever the split point,
// the result must be the one-thread read's, down to name ids and the first error's line number.

const dir = mkdtempSync(join(tmpdir(), "lakay-split-"));
const sample = readFileSync(PAYSIM_SAMPLE, "latin1");
const [header, ...lines] = sample.split("\r\n").filter((l) => l !== "");

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, "latin1");
  return file;
}

const COLUMNS = [
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
  "isFlaggedFraud",
] as const;

function expectSameRead(a: PaysimReadResult, b: PaysimReadResult): void {
  expect(a.tx.rows).toBe(b.tx.rows);
  // Byte comparisons: a deep `toEqual` of 20,000-element typed arrays is slow.
  for (const k of COLUMNS) expect(bytes(a.tx[k]).equals(bytes(b.tx[k])), k).toBe(true);
  for (const t of ["origNames", "destNames"] as const) {
    expect(a.tx[t].size).toBe(b.tx[t].size);
    const names = (r: PaysimReadResult) => Array.from({ length: r.tx[t].size }, (_, id) => r.tx[t].get(id));
    expect(names(a).join(), t).toBe(names(b).join());
  }
  expect(a.rejected).toEqual(b.rejected);
  expect(a.rejectedExamples).toEqual(b.rejectedExamples);
  expect(a.columns).toEqual(b.columns);
}

function bytes(a: ArrayBufferView | undefined): Buffer {
  return a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.alloc(0);
}

/** Split points across the file: in the header, first data line, middle of lines, at line starts, near the end. */
function splitPoints(file: string): number[] {
  const text = readFileSync(file, "latin1");
  const size = statSync(file).size;
  const lineStart = text.indexOf("\n", size >> 1) + 1;
  return [0, 5, header.length + 1, 1000, size >> 2, lineStart - 1, lineStart, size >> 1, size - 40, size - 1];
}

async function readBoth(file: string, opts: ReadPaysimOptions = {}): Promise<void> {
  const one = await readPaysim(file, { ...opts, splitAt: false });
  for (const at of splitPoints(file)) expectSameRead(await readPaysim(file, { ...opts, splitAt: at }), one);
}

async function failure(file: string, opts: ReadPaysimOptions): Promise<string> {
  const err = await readPaysim(file, opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BadInputError);
  return (err as Error).message;
}

describe("readPaysim on two threads", () => {
  it("reads the real sample the same at any split point (CRLF, exponents, quirks)", async () => {
    await readBoth(PAYSIM_SAMPLE);
  });

  it("reads the same with LF, no final newline, blank and quoted lines in the second half", async () => {
    const body = lines.slice(0, 4000);
    body[3000] = body[3000].replace(/,([CM]\d+),/, ',"$1",'); // off the fast path
    body.splice(3500, 0, ""); // a blank line
    await readBoth(write("lf.csv", [header, ...body].join("\n")));
    await readBoth(write("blank-end.csv", [header, ...body, "", ""].join("\n")));
  });

  it("reads a file above SPLIT_MIN_BYTES the same by default as on one thread", async () => {
    const copies = Math.ceil(SPLIT_MIN_BYTES / sample.length) + 1;
    const file = write("big.csv", [header, ...Array.from({ length: copies }, () => lines).flat()].join("\n"));
    expectSameRead(await readPaysim(file), await readPaysim(file, { splitAt: false }));
  });

  it("reports a bad row in the second half with its true line number", async () => {
    const body = lines.slice(0, 4000);
    body[3000] = body[3000].replace(/,PAYMENT,|,TRANSFER,|,CASH_OUT,|,CASH_IN,|,DEBIT,/, ",REFUND,");
    const file = write("bad-late.csv", [header, ...body].join("\n"));
    const one = await failure(file, { splitAt: false });
    expect(one).toContain("bad-late.csv, line 3002, column type");
    for (const at of splitPoints(file)) expect(await failure(file, { splitAt: at })).toBe(one);
  });

  it("reports the first bad row in file order when both halves have one", async () => {
    const body = lines.slice(0, 4000);
    body[500] = body[500].replace(/,(\d+(\.\d+)?),C/, ",x1,C"); // amount
    body[3000] = body[3000] + ",extra";
    const file = write("bad-both.csv", [header, ...body].join("\n"));
    const one = await failure(file, { splitAt: false });
    expect(one).toContain("line 502, column amount");
    for (const at of splitPoints(file)) expect(await failure(file, { splitAt: at })).toBe(one);
  });

  it("skips bad rows of both halves the same, counting and quoting them in file order", async () => {
    const body = lines.slice(0, 4000);
    body[100] = body[100] + ",extra";
    body[2500] = body[2500] + ",extra";
    body[3900] = body[3900].replace(/,(\d+(\.\d+)?),C/, ",-3,C");
    await readBoth(write("skip.csv", [header, ...body].join("\n")), { onBadRows: "skip" });
  });
});
