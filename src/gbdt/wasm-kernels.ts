import wabtInit from "wabt";
import { countedLoop, elementAddress } from "./wat.js";

/**
 * Training's hot loops as WebAssembly: histograms, partition and the boosting step (draws,
 * gradients). V8's code for the JavaScript kernels (kernels.ts) spends ~25 instructions a histogram
 * column on bounds and overflow checks; the same float additions in the same order as WebAssembly
 * run 2.2-2.7× faster over a root's rows and 2.6-3.6× over a deep node's scattered rows
 * (`bench/histogram-wasm.mjs`, docs/BENCHMARKS.md). Each module does what its JavaScript kernel
 * does, operation for operation (the same additions in the same order, the same ids in the same
 * slots, the same draws and roundings), so the models are the same to the bit; the JavaScript
 * kernels stay as the reference.
 *
 * The modules read the training's shared `WebAssembly.Memory` (`kernelMemory`, block-executor.ts),
 * where the executor keeps the per-row buffers and partial histograms; they take byte addresses.
 * One histogram module per column count, code width and row width, unrolled over the columns as
 * the JavaScript kernel is (a loop over a column list keeps only 1.2-2×); which columns and their
 * first slots are arguments, as `colsample_bytree` changes them tree by tree.
 */

type Assembler = Awaited<ReturnType<typeof wabtInit>>;
let assembler: Assembler | null = null;

/** Loads the WAT assembler (wabt, ~50 ms); the module functions below need it loaded. */
export async function loadWasmAssembler(): Promise<void> {
  assembler ??= await wabtInit();
}

const modules = new Map<string, WebAssembly.Module>();

/** The binary of a WebAssembly text (`loadWasmAssembler()` first); `name` names it in errors. */
export function assembleWat(name: string, text: string): Uint8Array {
  if (!assembler) throw new Error("loadWasmAssembler() first");
  return assembler.parseWat(`${name}.wat`, text).toBinary({}).buffer;
}

/** The module assembled from `wat()` under `key`, assembled and compiled once. */
function assembled(key: string, wat: () => string): WebAssembly.Module {
  let module = modules.get(key);
  if (module === undefined) {
    module = new WebAssembly.Module(assembleWat(key, wat()));
    modules.set(key, module);
  }
  return module;
}

/**
 * The kernel for `count` accumulated columns of a row-major code matrix of `rowColumns` columns,
 * codes of `codeBytes` (1 or 2). Its export `histogram(rows, start, end, codes, gh, out, c0…, o0…)`
 * takes byte addresses: for k in [start, end), row i = rows[k] (u32) adds its float32 pair
 * gh[2i], gh[2i + 1] (as doubles) into the double pair at out + 16 · (o_j + code of column c_j)
 * for every j. Returns 0 (the JavaScript kernel's signature).
 */
export function histogramModule(count: number, rowColumns: number, codeBytes: 1 | 2): WebAssembly.Module {
  return assembled(`histogram-${count}-${rowColumns}-${codeBytes}`, () =>
    histogramWat(count, rowColumns, codeBytes),
  );
}

/**
 * The partition kernel (`partitionBlock`'s, kernels.ts) for codes of `codeBytes`: its export
 * `partition(from, start, end, to, codes, splitBin, missingCode, defaultLeft)` takes the id
 * buffers and the split feature's feature-major codes as byte addresses, and writes the same ids
 * to the same slots (left ids up from `to[start]`, the others down from `to[end - 1]`, both slots
 * written every row, one cursor moving); returns where the left ids end.
 */
export function partitionModule(codeBytes: 1 | 2): WebAssembly.Module {
  return assembled(`partition-${codeBytes}`, () => partitionWat(codeBytes));
}

/**
 * The boosting step's loop (`boostBlock`'s, kernels.ts): its export `boost(start, end, expNegMargin,
 * labels, weights, hasWeights, gh, scalePosWeight, ra, rb, rc, all, cut, ids)` takes the buffers as
 * byte addresses and the row generator's state (ra, rb, rc: `boostBlock` seeds it) and draws, for
 * each row of [start, end), the same sfc32 number, keeps the row when it is below `cut` as unsigned
 * 32-bit integers (or every row with `all`), writes the ids as `boostBlock` does and the sampled
 * rows' float32 gradient pairs, the same double arithmetic rounded the same way. Returns where the
 * sampled ids end.
 */
export function boostModule(): WebAssembly.Module {
  return assembled("boost", () => BOOST_WAT);
}

const BOOST_WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "boost") (param $start i32) (param $end i32) (param $em i32) (param $labels i32)
      (param $weights i32) (param $hasWeights i32) (param $gh i32) (param $spw f64) (param $ra i32)
      (param $rb i32) (param $rc i32) (param $all i32) (param $cut i32) (param $ids i32) (result i32)
    (local $i i32) (local $k i32) (local $t i32) (local $rd i32) (local $take i32) (local $count i32)
    (local $out i32) (local $p f64) (local $y f64) (local $w f64) (local $h f64) (local $q i32)
    local.get $start
    local.set $count
    local.get $all
    if
      ;; every row sampled, in order
      ${countedLoop(
        "$i",
        "local.get $start",
        "local.get $end",
        `
        ${elementAddress("$ids", "$i", 2)}
        local.get $i
        i32.store`,
      )}
      local.get $end
      local.set $count
    else
      i32.const 1
      local.set $rd
      local.get $end
      i32.const 1
      i32.sub
      local.set $out
      ${countedLoop(
        "$i",
        "local.get $start",
        "local.get $end",
        `
        ;; t = ra + rb + rd; rd += 1; ra = rb ^ (rb >>> 9); rb = rc + (rc << 3);
        ;; rc = rotl(rc, 21) + t  (sfc32, as boostBlock)
        local.get $ra
        local.get $rb
        i32.add
        local.get $rd
        i32.add
        local.set $t
        local.get $rd
        i32.const 1
        i32.add
        local.set $rd
        local.get $rb
        local.get $rb
        i32.const 9
        i32.shr_u
        i32.xor
        local.set $ra
        local.get $rc
        local.get $rc
        i32.const 3
        i32.shl
        i32.add
        local.set $rb
        local.get $rc
        i32.const 21
        i32.rotl
        local.get $t
        i32.add
        local.set $rc
        ;; take = t < cut (unsigned); ids[count] = ids[out] = i; count += take; out -= 1 - take
        local.get $t
        local.get $cut
        i32.lt_u
        local.set $take
        ${elementAddress("$ids", "$count", 2)}
        local.get $i
        i32.store
        ${elementAddress("$ids", "$out", 2)}
        local.get $i
        i32.store
        local.get $count
        local.get $take
        i32.add
        local.set $count
        local.get $out
        i32.const 1
        i32.sub
        local.get $take
        i32.add
        local.set $out`,
      )}
    end
    ;; gradients of the sampled rows: p = 1 / (1 + e^-margin); g = (p - y) w; h = max(p (1 - p), 1e-16) w
    ${countedLoop(
      "$k",
      "local.get $start",
      "local.get $count",
      `
      ${elementAddress("$ids", "$k", 2)}
      i32.load
      local.set $i
      f64.const 1
      f64.const 1
      ${elementAddress("$em", "$i", 3)}
      f64.load
      f64.add
      f64.div
      local.set $p
      ${elementAddress("$labels", "$i", 2)}
      f32.load
      f64.promote_f32
      local.set $y
      local.get $spw
      f64.const 1
      local.get $y
      f64.const 0.5
      f64.gt
      select
      local.set $w
      local.get $hasWeights
      if
        local.get $w
        ${elementAddress("$weights", "$i", 2)}
        f32.load
        f64.promote_f32
        f64.mul
        local.set $w
      end
      local.get $p
      f64.const 1
      local.get $p
      f64.sub
      f64.mul
      local.set $h
      ${elementAddress("$gh", "$i", 3)}
      local.tee $q
      local.get $p
      local.get $y
      f64.sub
      local.get $w
      f64.mul
      f32.demote_f64
      f32.store
      local.get $q
      local.get $h
      f64.const 1e-16
      local.get $h
      f64.const 1e-16
      f64.gt
      select
      local.get $w
      f64.mul
      f32.demote_f64
      f32.store offset=4`,
    )}
    local.get $count))`;

function partitionWat(codeBytes: 1 | 2): string {
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "partition") (param $from i32) (param $start i32) (param $end i32) (param $to i32)
      (param $codes i32) (param $splitBin i32) (param $missing i32) (param $defaultLeft i32) (result i32)
    (local $k i32) (local $i i32) (local $code i32) (local $right i32) (local $nl i32) (local $nr i32)
    local.get $start
    local.set $nl
    local.get $end
    i32.const 1
    i32.sub
    local.set $nr
    ${countedLoop(
      "$k",
      "local.get $start",
      "local.get $end",
      `
      ;; i = from[k]; code = codes[i]
      ${elementAddress("$from", "$k", 2)}
      i32.load
      local.set $i
      local.get $codes
      local.get $i
      ${codeBytes === 2 ? "i32.const 1 i32.shl" : ""}
      i32.add
      ${codeBytes === 1 ? "i32.load8_u" : "i32.load16_u"}
      local.set $code
      ;; right = (splitBin < code) ^ (code is the missing code & defaultLeft): splitsRight's sign bits
      local.get $splitBin
      local.get $code
      i32.sub
      i32.const 31
      i32.shr_u
      local.get $code
      local.get $missing
      i32.xor
      i32.const 1
      i32.sub
      i32.const 31
      i32.shr_u
      local.get $defaultLeft
      i32.and
      i32.xor
      local.set $right
      ;; to[nl] = to[nr] = i; nl += 1 - right; nr -= right
      ${elementAddress("$to", "$nl", 2)}
      local.get $i
      i32.store
      ${elementAddress("$to", "$nr", 2)}
      local.get $i
      i32.store
      local.get $nl
      i32.const 1
      i32.add
      local.get $right
      i32.sub
      local.set $nl
      local.get $nr
      local.get $right
      i32.sub
      local.set $nr`,
    )}
    local.get $nl))`;
}

function histogramWat(count: number, rowColumns: number, codeBytes: 1 | 2): string {
  const columnParams = Array.from({ length: count }, (_, j) => `(param $c${j} i32)`).join(" ");
  const offsetParams = Array.from({ length: count }, (_, j) => `(param $o${j} i32)`).join(" ");
  const load = codeBytes === 1 ? "i32.load8_u" : "i32.load16_u";
  const adds = Array.from(
    { length: count },
    (_, j) => `
      ;; p = out + 16 * (o_j + code of column c_j); (g, h) added into the pair at p
      local.get $out
      local.get $b
      local.get $c${j}
      ${codeBytes === 2 ? "i32.const 1\n      i32.shl" : ""}
      i32.add
      ${load}
      local.get $o${j}
      i32.add
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
      f64.store offset=8`,
  ).join("");
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "histogram") (param $rows i32) (param $start i32) (param $end i32) (param $codes i32)
      (param $gh i32) (param $out i32) ${columnParams} ${offsetParams} (result i32)
    (local $k i32) (local $i i32) (local $b i32) (local $p i32) (local $g f64) (local $h f64)
    ${countedLoop(
      "$k",
      "local.get $start",
      "local.get $end",
      `
      ;; i = rows[k]; g, h = gh[2i], gh[2i + 1]; b = row i's codes
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
      local.get $codes
      local.get $i
      i32.const ${rowColumns * codeBytes}
      i32.mul
      i32.add
      local.set $b${adds}`,
    )}
    i32.const 0))`;
}
