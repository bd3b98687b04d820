import { beforeAll, describe, expect, it } from "vitest";
import { sumTreesWat } from "../../src/gbdt/sum-trees-wat.js";
import { SUM_TREES_WASM } from "../../src/gbdt/sum-trees-wasm.js";
import { assembleWat, loadWasmAssembler } from "../../src/gbdt/wasm-kernels.js";

/**
 * The batch predictor runs committed bytes (scoring stays synchronous, with no assembler to load):
 * they must be its WebAssembly text assembled. predictor.test.ts holds what they compute equal to
 * the interpreter, bit for bit.
 */
describe("the batch predictor's committed WebAssembly", () => {
  beforeAll(loadWasmAssembler);

  it("is sumTreesWat() assembled (else: npm run build && node scripts/assemble-sum-trees.mjs)", () => {
    const assembled = Buffer.from(assembleWat("sum-trees", sumTreesWat())).toString("base64");
    expect(SUM_TREES_WASM).toBe(assembled);
  });
});
