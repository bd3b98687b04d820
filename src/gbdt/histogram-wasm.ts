import wabtInit from "wabt";

/**
 * The histogram kernel as WebAssembly. V8's code for the JavaScript kernel (`histogramKernelSource`)
 * spends ~25 instructions a column on bounds and overflow checks; the same float additions in the
 * same order as WebAssembly run 2.2-2.7× faster over a root's rows and 2.6-3.6× over a deep node's
 * scattered rows (`bench/histogram-wasm.mjs`, docs/BENCHMARKS.md). Same additions in the same
 * order: the histograms, and so the models, are the same to the bit.
 *
 * The kernel reads the training's shared `WebAssembly.Memory` (see `KernelMemory`), where the
 * executor keeps the row ids, gradient pairs, codes and partial histograms. One module per column
 * count, code width and row width, unrolled over the columns as the JavaScript kernel is (a loop
 * over a column list keeps only 1.2-2×); which columns and their first slots are arguments, as
 * `colsample_bytree` changes them tree by tree.
 */

type Assembler = Awaited<ReturnType<typeof wabtInit>>;
let assembler: Assembler | null = null;

/** Loads the WAT assembler (~50 ms); `histogramModule` needs it loaded. */
export async function loadHistogramAssembler(): Promise<void> {
  assembler ??= await wabtInit();
}

const modules = new Map<string, WebAssembly.Module>();

/**
 * The kernel for `count` accumulated columns of a row-major code matrix of `rowColumns` columns,
 * codes of `codeBytes` (1 or 2). Its export `histogram(rows, start, end, codes, gh, out, c0…, o0…)`
 * takes byte addresses: for k in [start, end), row i = rows[k] (u32) adds its float32 pair
 * gh[2i], gh[2i + 1] (as doubles) into the double pair at out + 16 · (o_j + code of column c_j)
 * for every j. Returns 0 (the JavaScript kernel's signature).
 */
export function histogramModule(count: number, rowColumns: number, codeBytes: 1 | 2): WebAssembly.Module {
  const key = `${count}/${rowColumns}/${codeBytes}`;
  let module = modules.get(key);
  if (module === undefined) {
    if (!assembler) throw new Error("loadHistogramAssembler() first");
    const wat = histogramWat(count, rowColumns, codeBytes);
    module = new WebAssembly.Module(assembler.parseWat(`histogram-${key}.wat`, wat).toBinary({}).buffer);
    modules.set(key, module);
  }
  return module;
}

/**
 * The partition kernel (`partitionBlock`'s, kernels.ts) for codes of `codeBytes`: its export
 * `partition(from, start, end, to, codes, splitBin, missingCode, defaultLeft)` takes the id
 * buffers and the split feature's feature-major codes as byte addresses, and writes the same ids
 * to the same slots (left ids up from `to[start]`, the others down from `to[end - 1]`, both slots
 * written every row, one cursor moving); returns where the left ids end.
 */
export function partitionModule(codeBytes: 1 | 2): WebAssembly.Module {
  const key = `partition/${codeBytes}`;
  let module = modules.get(key);
  if (module === undefined) {
    if (!assembler) throw new Error("loadHistogramAssembler() first");
    const wat = partitionWat(codeBytes);
    module = new WebAssembly.Module(assembler.parseWat(`${key}.wat`, wat).toBinary({}).buffer);
    modules.set(key, module);
  }
  return module;
}

function partitionWat(codeBytes: 1 | 2): string {
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "partition") (param $from i32) (param $start i32) (param $end i32) (param $to i32)
      (param $codes i32) (param $splitBin i32) (param $missing i32) (param $defaultLeft i32) (result i32)
    (local $k i32) (local $i i32) (local $code i32) (local $right i32) (local $nl i32) (local $nr i32)
    local.get $start
    local.tee $k
    local.set $nl
    local.get $end
    i32.const 1
    i32.sub
    local.set $nr
    block $done
    loop $row
      local.get $k
      local.get $end
      i32.ge_u
      br_if $done
      ;; i = from[k]; code = codes[i]
      local.get $from
      local.get $k
      i32.const 2
      i32.shl
      i32.add
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
      local.get $to
      local.get $nl
      i32.const 2
      i32.shl
      i32.add
      local.get $i
      i32.store
      local.get $to
      local.get $nr
      i32.const 2
      i32.shl
      i32.add
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
      local.set $nr
      local.get $k
      i32.const 1
      i32.add
      local.set $k
      br $row
    end
    end
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
    local.get $start
    local.set $k
    block $done
    loop $row
      local.get $k
      local.get $end
      i32.ge_u
      br_if $done
      ;; i = rows[k]; g, h = gh[2i], gh[2i + 1]; b = row i's codes
      local.get $rows
      local.get $k
      i32.const 2
      i32.shl
      i32.add
      i32.load
      local.set $i
      local.get $gh
      local.get $i
      i32.const 3
      i32.shl
      i32.add
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
      local.set $b${adds}
      local.get $k
      i32.const 1
      i32.add
      local.set $k
      br $row
    end
    end
    i32.const 0))`;
}
