// The engine's histogram kernel in V8-compiled JavaScript against the same loop in WebAssembly
// (not a test; `npm run build` first):
//   node bench/histogram-wasm.mjs [--rows 800000] [--reps 40] [--rounds 3]
// Issue 19: training's histograms (the root's, over every sampled row in order, and the smaller
// children's, over a deep node's scattered rows) were ~40 % of the engine's time, and the JavaScript
// kernel spends ~25 instructions a column (bounds and overflow checks, a spilled row offset). This
// measures what the same loop costs as WebAssembly on the same data (what led the engine to
// src/gbdt/wasm-kernels.ts):
// - data: `rows` rows of 8 byte-coded columns (row-major, as `bins`), skewed codes, three columns of
//   few codes (5, 7, 24: as day, type and hour), and a float32 gradient pair a row (as `gh`);
// - "root": every row in order; "child": a sorted random 12 % of the rows (a deep node's);
// - JavaScript: `histogramKernelSource` from dist/gbdt/kernels.js (the engine's kernel before
//   WebAssembly, with its touch-ahead loop for scattered rows); WebAssembly: the engine's own module
//   (`histogramModule`, dist/gbdt/wasm-kernels.js: the same adds in the same order, unrolled over the
//   columns), and beside it one loop over a list of columns (the WAT below: the form one module
//   assembled at build time would take), both over one shared memory as in training;
// - rounds taking turns, each the median of `reps` calls; the histograms must sum to the same value
//   (the same float additions in the same order), else the script fails.
// Prints ns a row for each shape and side, and JavaScript / WebAssembly.
/* global performance, WebAssembly */
import { parseArgs } from "node:util";
import { histogramKernelSource } from "../dist/gbdt/kernels.js";
import { assembleWat, histogramModule, loadWasmAssembler } from "../dist/gbdt/wasm-kernels.js";
import { countedLoop, elementAddress } from "../dist/gbdt/wat.js";

const { values: a } = parseArgs({
  options: {
    rows: { type: "string", default: "800000" },
    reps: { type: "string", default: "40" },
    rounds: { type: "string", default: "3" },
  },
});
const N = Number(a.rows);
const COLUMNS = 8;
const BINS_PER_COLUMN = 256;
const CODES = [256, 256, 24, 7, 5, 256, 40, 120];
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// One LCG for the synthetic data: the same bytes every run.
let state = 12345;
const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;

/**
 * The column-list kernel: for rows[start, end), add each row's pair into its bin of every listed
 * column, one loop over a list of columns and their first slots read from memory (what one module
 * assembled at build time would hold). The unrolled kernel is the engine's own (`histogramModule`).
 */
function kernelWat() {
  // Adds (g, h) into the bin pair at byte address out + 16 * slot; `slot` leaves the slot on the stack.
  const addPair = (slot) => `
      local.get $out
      ${slot}
      i32.const 4
      i32.shl
      i32.add
      local.tee $p
      local.get $p
      f64.load
      local.get $g
      f64.add
      f64.store
      local.get $p
      local.get $p
      f64.load offset=8
      local.get $h
      f64.add
      f64.store offset=8`;
  // i = rows[k]; g, h = gh[2i], gh[2i + 1] (float32, added as doubles); b = the row's codes.
  const rowReads = `
      ${elementAddress("$rows", "$k", 2)}
      i32.load
      local.set $i
      ${elementAddress("$gh", "$i", 3)}
      local.tee $p
      f32.load
      f64.promote_f32
      local.set $g
      local.get $p
      f32.load offset=4
      f64.promote_f32
      local.set $h
      ${elementAddress("$bins", "$i", Math.log2(COLUMNS))}
      local.set $b`;
  // slot = offsets[j] + codes[columns[j]]
  const listed = addPair(`${elementAddress("$offsets", "$j", 2)}
      i32.load
      local.get $b
      ${elementAddress("$columns", "$j", 2)}
      i32.load
      i32.add
      i32.load8_u
      i32.add`);
  const params =
    "(param $rows i32) (param $start i32) (param $end i32) (param $bins i32) (param $gh i32) (param $out i32)";
  const locals =
    "(local $k i32) (local $i i32) (local $b i32) (local $p i32) (local $j i32) (local $g f64) (local $h f64)";
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "histogramByColumn") ${params} (param $columns i32) (param $offsets i32) (param $count i32)
    ${locals}
    ${countedLoop(
      "$k",
      "local.get $start",
      "local.get $end",
      `${rowReads}
      ${countedLoop("$j", "i32.const 0", "local.get $count", listed)}`,
    )}))`;
}

// One shared memory, as the engine's (`kernelMemory`), for both WebAssembly kernels.
const pages = Math.ceil((N * (4 + COLUMNS + 8) + 16 * COLUMNS * BINS_PER_COLUMN + 8 * COLUMNS) / 65536) + 1;
const wasmMemory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
const env = { env: { memory: wasmMemory } };
await loadWasmAssembler();
const { histogram } = new WebAssembly.Instance(histogramModule(COLUMNS, COLUMNS, 1), env).exports;
const listModule = new WebAssembly.Module(assembleWat("histogram-list", kernelWat()));
const { histogramByColumn } = new WebAssembly.Instance(listModule, env).exports;
const memory = wasmMemory.buffer;
// The module's memory: row ids, codes, gradient pairs, histogram (byte offsets).
const ROWS = 0;
const BINS = 4 * N;
const GH = BINS + COLUMNS * N;
const OUT = GH + 8 * N;
const COLUMN_LIST = OUT + 16 * COLUMNS * BINS_PER_COLUMN;
const OFFSET_LIST = COLUMN_LIST + 4 * COLUMNS;
const wasmRows = new Uint32Array(memory, ROWS, N);
const bins = new Uint8Array(memory, BINS, COLUMNS * N);
const gh = new Float32Array(memory, GH, 2 * N);
const wasmOut = new Float64Array(memory, OUT, 2 * COLUMNS * BINS_PER_COLUMN);
for (let i = 0; i < N; i++) {
  for (let c = 0; c < COLUMNS; c++) {
    const u = random();
    bins[i * COLUMNS + c] = Math.min(CODES[c] - 1, Math.floor(CODES[c] * u * u));
  }
  gh[2 * i] = random() - 0.5;
  gh[2 * i + 1] = random() * 0.25;
}
// JavaScript's own copies (ordinary typed arrays, as the engine's views are).
const jsBins = bins.slice();
const jsGh = gh.slice();
const jsOut = new Float64Array(wasmOut.length);
const columns = Array.from({ length: COLUMNS }, (_, c) => c);
const offsets = columns.map((c) => c * BINS_PER_COLUMN);
new Int32Array(memory, COLUMN_LIST, COLUMNS).set(columns);
new Int32Array(memory, OFFSET_LIST, COLUMNS).set(offsets);

const all = Uint32Array.from({ length: N }, (_, i) => i);
const some = [];
for (let i = 0; i < N; i++) if (random() < 0.12) some.push(i);
const shapes = [
  { name: "root (every row, in order)", rows: all, inOrder: true },
  { name: "child (12 % of rows, scattered)", rows: Uint32Array.from(some), inOrder: false },
];

function time(run, out) {
  const ns = [];
  for (let r = 0; r < Number(a.reps); r++) {
    out.fill(0);
    const t = performance.now();
    run();
    ns.push((performance.now() - t) * 1e6);
  }
  let sum = 0;
  for (const x of out) sum += x;
  return { ns: median(ns), sum };
}

console.log(`# histogram kernel, ${N} rows x ${COLUMNS} byte columns, ${a.reps} calls a side a round`);
for (const shape of shapes) {
  const n = shape.rows.length;
  const js = new Function(histogramKernelSource(COLUMNS, COLUMNS, shape.inOrder))();
  wasmRows.set(shape.rows);
  const results = { js: [], wasm: [], loop: [] };
  for (let round = 0; round < Number(a.rounds); round++) {
    const sides = ["js", "wasm", "loop"].map((_, i, all) => all[(i + round) % all.length]);
    for (const side of sides) {
      const r =
        side === "js"
          ? time(() => js(shape.rows, 0, n, jsBins, jsGh, jsOut, 0, columns, offsets), jsOut)
          : side === "wasm"
            ? time(() => histogram(ROWS, 0, n, BINS, GH, OUT, ...columns, ...offsets), wasmOut)
            : time(
                () => histogramByColumn(ROWS, 0, n, BINS, GH, OUT, COLUMN_LIST, OFFSET_LIST, COLUMNS),
                wasmOut,
              );
      results[side].push(r);
    }
  }
  const js0 = results.js[0].sum;
  if ([...results.js, ...results.wasm, ...results.loop].some((r) => r.sum !== js0))
    throw new Error(`${shape.name}: the two kernels' histograms differ`);
  const jsNs = median(results.js.map((r) => r.ns)) / n;
  const wasmNs = median(results.wasm.map((r) => r.ns)) / n;
  const loopNs = median(results.loop.map((r) => r.ns)) / n;
  console.log(
    `${shape.name}: JavaScript ${jsNs.toFixed(2)} ns a row, WebAssembly ${wasmNs.toFixed(2)} ` +
      `(one loop over the columns: ${loopNs.toFixed(2)}), JavaScript/WebAssembly ${(jsNs / wasmNs).toFixed(2)}x ` +
      `(${(jsNs / loopNs).toFixed(2)}x) (same sums: ${js0.toFixed(6)})`,
  );
}
