import { countedLoop, elementAddress } from "./wat.js";

/**
 * The compiled predictor's tree walks as WebAssembly text. Its export
 * `sumTrees(nodes, leaves, roots, depths, trees, codes, rowBytes, m, acc, list, runLeaves)` adds
 * every tree's leaf to the float32 `acc[r]` of each of the `m` coded rows of a block, tree by tree
 * as XGBoost accumulates (batch prediction); `sumRow(nodes, leaves, roots, depths, trees, codes,
 * margin)` returns `margin` plus every tree's leaf for the one row coded at `codes`, added in the
 * same order (single-row prediction: the same float32 sum as the batch's). V8's code for the same
 * walks in JavaScript spent most of its time on bounds checks: these are ~2× (batch) and ~1.6×
 * (single row) faster, with the same sums to the bit (docs/BENCHMARKS.md).
 * The bytes that run are the assembled text committed in sum-trees-wasm.ts (a test holds the two
 * equal), so scoring needs no assembler and stays synchronous.
 *
 * Everything is a byte address in the scorer's memory (`newBlockScratch`, compiled-predictor.ts):
 * node words as the packed program's (`(threshold code << 12) | slot`, negative for a leaf), each
 * followed by the byte address of its left child (the right one is 8 bytes further; a leaf's
 * points 8 bytes before itself, so it steps to itself); `leaves + (node - nodes) / 2` holds a
 * node's leaf value; `roots` and `depths` one i32 a tree; a row's codes start at
 * `codes + r * rowBytes`; `list` has room for BLOCK_ROWS + 8 row numbers and `runLeaves` for two
 * float32 a tree.
 *
 * The walk, for each tree t:
 * - When the root splits and exactly one of its children is a leaf (fraud models send most rows
 *   there: one split sets most legitimate traffic apart), the trees from t whose roots make the
 *   same split with the leaf on the same side form a run. One pass over the rows takes the root's
 *   step for all of them (the root's word is a constant), adds the run's leaves for the rows on
 *   the leaf side in tree order, and lists the others branch-free. The listed rows then walk each
 *   tree of the run from the root's inner child, eight side by side for `depth - 1` steps (eight
 *   independent chains of loads the CPU overlaps; no exit branch to mispredict); lanes past the
 *   list's end repeat its last row and add nothing.
 * - Otherwise all rows walk the tree eight side by side, `depth` steps (a block is a multiple of
 *   8 rows; a partial last group walks stale but valid codes whose sums are never read).
 * A step is `child + 8 * ((threshold code - row code) >>> 31)`: the sign bit is the decision.
 *
 * The single row walks eight trees side by side (their dependency chains overlap) until all eight
 * stand on a leaf: a row stops where its paths end, not at the group's deepest level (on fraud
 * models most rows reach a leaf after a step or two). One exit test a group, not one a tree: a
 * plain walk per tree with its own exit measured p99 4.7 → 8.7 µs in JavaScript. The last
 * `trees % 8` trees are walked one at a time, `depth` steps each.
 */
export function sumTreesWat(): string {
  const lanes = [0, 1, 2, 3, 4, 5, 6, 7];
  const walkEight = (from: string, to: string) =>
    countedLoop("$d", from, to, lanes.map((j) => step(`$o${j}`, `$c${j}`)).join(""));
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "sumTrees") (param $nodes i32) (param $leaves i32) (param $roots i32) (param $depths i32)
      (param $trees i32) (param $codes i32) (param $rowBytes i32) (param $m i32) (param $acc i32)
      (param $list i32) (param $runLeaves i32)
    (local $t i32) (local $root i32) (local $depth i32) (local $w i32) (local $left i32)
    (local $leftIsLeaf i32) (local $end i32) (local $q i32) (local $l i32) (local $run i32)
    (local $slot i32) (local $code i32) (local $n i32) (local $r i32) (local $dir i32) (local $lf i32)
    (local $p i32) (local $a f32) (local $k i32) (local $i i32) (local $u i32) (local $inner i32)
    (local $du i32) (local $d i32) (local $rootWord i32) (local $c i32)
    ${lanes.map((j) => `(local $o${j} i32) (local $c${j} i32) (local $r${j} i32)`).join(" ")}
    ${countedLoop(
      "$t",
      "i32.const 0",
      "local.get $trees",
      `
      ${i32At("$roots", "$t")}
      local.set $root
      ${i32At("$depths", "$t")}
      local.set $depth
      local.get $root
      i32.load
      local.set $rootWord
      local.get $root
      i32.load offset=4
      local.tee $left
      i32.load
      i32.const 31
      i32.shr_u
      local.set $leftIsLeaf
      ;; the root splits and exactly one of its children is a leaf
      local.get $rootWord
      i32.const 0
      i32.ge_s
      local.get $leftIsLeaf
      local.get $left
      i32.load offset=8
      i32.const 31
      i32.shr_u
      i32.ne
      i32.and
      if
        ${sameSplitRun()}
        ;; the root's step for every row: leaf side adds the run's leaves, the others are listed
        local.get $end
        local.get $t
        i32.sub
        local.set $run
        local.get $rootWord
        i32.const 4095
        i32.and
        i32.const 2
        i32.shl
        local.get $codes
        i32.add
        local.set $slot
        local.get $rootWord
        i32.const 12
        i32.shr_s
        local.set $code
        i32.const 0
        local.set $n
        local.get $run
        i32.const 1
        i32.eq
        if
          ;; a run of one: the same pass without the inner loop (its overhead showed on models
          ;; whose separating splits vary from tree to tree)
          ${leafOf("local.get $left")}
          local.set $lf
          ${countedLoop(
            "$r",
            "i32.const 0",
            "local.get $m",
            `
            ${rootDirection()}
            ${f32At("$acc", "$r")}
            local.tee $p
            local.get $p
            f32.load
            ${elementAddress("$lf", "$dir", 2)}
            f32.load
            f32.add
            f32.store
            ${listRow()}`,
          )}
        else
          ${countedLoop(
            "$r",
            "i32.const 0",
            "local.get $m",
            `
            ${rootDirection()}
            ${f32At("$acc", "$r")}
            local.tee $p
            f32.load
            local.set $a
            ${elementAddress("$runLeaves", "$dir", 2)}
            local.set $lf
            ${countedLoop(
              "$k",
              "i32.const 0",
              "local.get $run",
              `
              local.get $a
              local.get $lf
              f32.load
              f32.add
              local.set $a
              local.get $lf
              i32.const 8
              i32.add
              local.set $lf`,
            )}
            local.get $p
            local.get $a
            f32.store
            ${listRow()}`,
          )}
        end
        local.get $n
        if
          ;; lanes past n repeat the last listed row
          ${elementAddress("$list", "$n", 2)}
          i32.const 4
          i32.sub
          i32.load
          local.set $r0
          ${countedLoop(
            "$i",
            "local.get $n",
            "local.get $n\n            i32.const 8\n            i32.add",
            `
            ${i32Address("$list", "$i")}
            local.get $r0
            i32.store`,
          )}
          ;; the listed rows walk each tree of the run from the inner child
          ${countedLoop(
            "$u",
            "local.get $t",
            "local.get $end",
            `
            ${i32At("$roots", "$u")}
            i32.load offset=4
            local.get $leftIsLeaf
            i32.const 3
            i32.shl
            i32.add
            local.set $inner
            ${i32At("$depths", "$u")}
            local.set $du
            ${countedLoop(
              "$i",
              "i32.const 0",
              "local.get $n",
              `
              ${lanes
                .map(
                  (j) => `
              ${i32Address("$list", "$i")}
              i32.load offset=${4 * j}
              local.tee $r${j}
              local.get $rowBytes
              i32.mul
              local.get $codes
              i32.add
              local.set $c${j}
              local.get $inner
              local.set $o${j}`,
                )
                .join("")}
              ${walkEight("i32.const 1", "local.get $du")}
              ${addLeaf("local.get $r0", "$o0")}
              ${lanes
                .slice(1)
                .map(
                  (j) => `
              local.get $n
              local.get $i
              i32.sub
              i32.const ${j}
              i32.gt_u
              if
                ${addLeaf(`local.get $r${j}`, `$o${j}`)}
              end`,
                )
                .join("")}`,
              8,
            )}`,
          )}
        end
        ;; the run's trees are done
        local.get $end
        i32.const 1
        i32.sub
        local.set $t
      else
        ;; every row walks the tree, eight side by side
        ${countedLoop(
          "$r",
          "i32.const 0",
          "local.get $m",
          `
          local.get $r
          local.get $rowBytes
          i32.mul
          local.get $codes
          i32.add
          local.set $c
          ${lanes
            .map(
              (j) => `
          local.get $c
          local.get $rowBytes
          i32.const ${j}
          i32.mul
          i32.add
          local.set $c${j}
          local.get $root
          local.set $o${j}`,
            )
            .join("")}
          ${walkEight("i32.const 0", "local.get $depth")}
          ${lanes.map((j) => addLeaf(`local.get $r\n          i32.const ${j}\n          i32.add`, `$o${j}`)).join("")}`,
          8,
        )}
      end`,
    )})
  (func (export "sumRow") (param $nodes i32) (param $leaves i32) (param $roots i32) (param $depths i32)
      (param $trees i32) (param $c i32) (param $margin f32) (result f32)
    (local $t i32) (local $groupsEnd i32) (local $w i32) (local $o i32) (local $d i32) (local $a f32)
    ${lanes.map((j) => `(local $o${j} i32)`).join(" ")}
    local.get $margin
    local.set $a
    ;; eight trees side by side until all eight stand on a leaf (the AND of their words is
    ;; negative), for the groups of eight there are
    local.get $trees
    i32.const -8
    i32.and
    local.set $groupsEnd
    ${countedLoop(
      "$t",
      "i32.const 0",
      "local.get $groupsEnd",
      `
      ${lanes.map((j) => `${i32Address("$roots", "$t")}\n      i32.load offset=${4 * j}\n      local.set $o${j}`).join("\n")}
      block $groupDone
      loop $groupNext
        ${lanes.map((j) => `local.get $o${j}\n        i32.load`).join("\n        ")}
        ${lanes
          .slice(1)
          .map(() => "i32.and")
          .join("\n        ")}
        i32.const 0
        i32.lt_s
        br_if $groupDone
        ${lanes.map((j) => step(`$o${j}`, "$c")).join("")}
        br $groupNext
      end
      end
      ${lanes.map((j) => `local.get $a\n      ${leafOf(`local.get $o${j}`)}\n      f32.load\n      f32.add\n      local.set $a`).join("\n")}`,
      8,
    )}
    ;; the last trees one at a time, depth steps each (t is where the groups stopped)
    block $restDone
    loop $restNext
      local.get $t
      local.get $trees
      i32.ge_u
      br_if $restDone
      ${i32At("$roots", "$t")}
      local.set $o
      ${countedLoop("$d", "i32.const 0", `${i32At("$depths", "$t")}`, step("$o", "$c"))}
      local.get $a
      ${leafOf("local.get $o")}
      f32.load
      f32.add
      local.set $a
      local.get $t
      i32.const 1
      i32.add
      local.set $t
      br $restNext
    end
    end
    local.get $a))`;
}

/** The address of the i32 `array[index]` (both locals). */
function i32Address(array: string, index: string): string {
  return elementAddress(array, index, 2);
}

function i32At(array: string, index: string): string {
  return `${i32Address(array, index)}
      i32.load`;
}

/** The address of the float32 `array[index]`. */
const f32At = i32Address;

/** The leaf value's address of the node at the address the instructions `node` leave. */
function leafOf(node: string): string {
  return `
      local.get $leaves
      ${node}
      local.get $nodes
      i32.sub
      i32.const 1
      i32.shr_u
      i32.add`;
}

/** `acc[row] += leaf value of node o`, in float32. */
function addLeaf(row: string, o: string): string {
  return `
      local.get $acc
      ${row}
      i32.const 2
      i32.shl
      i32.add
      local.tee $p
      local.get $p
      f32.load
      ${leafOf(`local.get ${o}`)}
      f32.load
      f32.add
      f32.store`;
}

/** One step of the walk from node `o` for the row whose codes start at `c`. */
function step(o: string, c: string): string {
  return `
      local.get ${o}
      i32.load offset=4
      local.get ${o}
      i32.load
      local.tee $w
      i32.const 12
      i32.shr_s
      local.get ${c}
      local.get $w
      i32.const 4095
      i32.and
      i32.const 2
      i32.shl
      i32.add
      i32.load
      i32.sub
      i32.const 31
      i32.shr_u
      i32.const 3
      i32.shl
      i32.add
      local.set ${o}`;
}

/** `dir` = row r's direction at the root (0 left, 1 right): the sign bit of code - row code. */
function rootDirection(): string {
  return `
            local.get $code
            local.get $slot
            local.get $r
            local.get $rowBytes
            i32.mul
            i32.add
            i32.load
            i32.sub
            i32.const 31
            i32.shr_u
            local.set $dir`;
}

/** `list[n] = r; n += 1 when r went to the inner side` (the leaf is on the side `leftIsLeaf` is not). */
function listRow(): string {
  return `
            ${i32Address("$list", "$n")}
            local.get $r
            i32.store
            local.get $n
            i32.const 1
            i32.add
            local.get $dir
            local.get $leftIsLeaf
            i32.xor
            i32.sub
            local.set $n`;
}

/**
 * `end` = the end of the run of trees from t whose roots make the root word's split with a leaf
 * on the same side; `runLeaves[2k]`, `[2k + 1]` = the k-th's left and right children's values.
 */
function sameSplitRun(): string {
  return `
        local.get $t
        local.set $end
        block $runDone
        loop $runNext
          local.get $end
          local.get $trees
          i32.ge_u
          br_if $runDone
          ${i32At("$roots", "$end")}
          local.tee $q
          i32.load
          local.get $rootWord
          i32.ne
          br_if $runDone
          local.get $q
          i32.load offset=4
          local.tee $l
          i32.load
          i32.const 31
          i32.shr_u
          local.get $leftIsLeaf
          i32.ne
          br_if $runDone
          local.get $l
          i32.load offset=8
          i32.const 31
          i32.shr_u
          local.get $leftIsLeaf
          i32.eq
          br_if $runDone
          local.get $runLeaves
          local.get $end
          local.get $t
          i32.sub
          i32.const 3
          i32.shl
          i32.add
          local.tee $p
          ${leafOf("local.get $l")}
          local.tee $lf
          f32.load
          f32.store
          local.get $p
          local.get $lf
          f32.load offset=4
          f32.store offset=4
          local.get $end
          i32.const 1
          i32.add
          local.set $end
          br $runNext
        end
        end`;
}
