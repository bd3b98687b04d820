import type { BlockExecutor } from "./block-executor.js";
import { PHASE, TASK_WIDTH, type PhaseArgs } from "./block-tasks.js";
import { marginalize, type FeatureBundle, type Marginal } from "./feature-bundles.js";
import { histogramModule } from "./wasm-kernels.js";
import { blockRowsFor } from "./kernels.js";
import { findBestSplit, leafWeight, type SplitCandidate, type SplitParams } from "./split-finder.js";
import { TreeBuilder, type RegressionTree } from "./tree.js";

/**
 * Rows of entries (node pieces) a partition task takes in turn; any grouping gives the same
 * output, and tasks this size keep both threads busy to the end of a phase.
 */
const TASK_ROWS = 16_384;

/**
 * Rows a histogram task gathers from consecutive pieces of one node. Each task fills a partial
 * histogram the main thread then sums: fewer, larger tasks mean fewer partials to zero and sum
 * (~2,300 doubles each). Fixed, like the blocks: it groups the float sums.
 */
const HISTOGRAM_TASK_ROWS = 16_384;

/**
 * How the binned matrix is laid out: per feature its bins (its missing-value code is `nBins[f]`)
 * and cut values; the bundles sharing the row-major matrix's columns, and each member's code in
 * every joint code.
 */
export interface BinLayout {
  nFeatures: number;
  /** Real bins per feature (the missing-value slot comes after them). */
  nBins: Int32Array;
  cuts: Float32Array[];
  bundles: FeatureBundle[];
  memberCodes: Int32Array[][];
}

export interface GrowParams extends SplitParams {
  max_depth: number;
  learning_rate: number;
}

/**
 * A tree's histogram slots: the bundles holding a sampled feature (the columns accumulated) with
 * their joint slots, then the own slots of sampled members of multi-feature bundles, filled by
 * `marginalize`. `offsets[f]` is where feature f's own bins start, for split finding.
 */
interface HistogramLayout {
  columns: number[];
  columnOffsets: number[];
  offsets: Int32Array;
  joints: { offset: number; cells: number; members: Marginal[] }[];
  doubles: number;
}

/**
 * A node's row ids as pieces, flat `[start, end, start, end, ...]`: positions in the current id
 * buffer, at most one piece per block (ids never leave their block, see TreeGrower).
 */
type Pieces = number[];

function pieceRows(p: Pieces): number {
  let n = 0;
  for (let k = 0; k < p.length; k += 2) n += p[k + 1] - p[k];
  return n;
}

interface LevelNode {
  id: number;
  /** The node's sampled rows. */
  sampled: Pieces;
  /** The node's rows left out of this tree's sample (partitioned along, never histogrammed). */
  out: Pieces;
  hist: Float64Array | null;
  g: number;
  h: number;
}

/**
 * Entries of a phase's task table, TASK_WIDTH int32s each: a piece's start and end, then the
 * phase's own fields (see TASK_WIDTH). A level can have thousands of pieces, so the lists are
 * typed arrays reused tree after tree, not arrays of arrays (or `push` with six arguments,
 * which V8 does not inline: it was a tenth of the main thread's time).
 */
class Entries {
  data = new Int32Array(TASK_WIDTH * 1024);
  count = 0;

  add(start: number, end: number, a: number, b: number, c: number, d: number): void {
    let x = this.data;
    const o = this.count++ * TASK_WIDTH;
    if (o + TASK_WIDTH > x.length) {
      x = new Int32Array(x.length * 2);
      x.set(this.data);
      this.data = x;
    }
    x[o] = start;
    x[o + 1] = end;
    x[o + 2] = a;
    x[o + 3] = b;
    x[o + 4] = c;
    x[o + 5] = d;
  }

  rows(q: number): number {
    return this.data[q * TASK_WIDTH + 1] - this.data[q * TASK_WIDTH];
  }
}

/**
 * A grown tree plus where each of its leaves' rows are (sampled and not: every row's margin
 * takes the new tree's value in the next round's boost phase). Rows split at the last level are
 * never partitioned (nothing is built on them after): their pieces and split are given instead,
 * and the split sends each row to one of the two leaves `left`, `left + 1`.
 */
export interface GrownTree {
  tree: RegressionTree;
  /** Which id buffer the pieces below are in. */
  ids: number;
  /**
   * Leaf entries, applied by the next round's boost phase: rows all in leaf `leaf`, at positions
   * [start, end) of the id buffer that was current when the node stopped (start, end, leaf, -1,
   * buffer); or rows of `ids` split at the last level (start, end, left leaf, feature, bin,
   * default-left).
   */
  leafEntries: Entries;
}

/**
 * Grows one tree depth-wise: at each level, find every node's best split from its histogram,
 * partition its rows, then build the histogram of the smaller child only and get its sibling by
 * subtraction from the parent. The rows left out of the sample are partitioned alongside (never
 * histogrammed) so that their margins too are updated from their leaf: walking them down the
 * tree afterwards cost ~4 ns a row and level, partitioning them ~1.7.
 *
 * Row ids never leave their block (`blockRowsFor` rows). The boost phase writes a block's sampled ids
 * at its start and the others at its end; a partition splits each node's piece of a block into
 * the same positions of the other id buffer, left child first and right child from the end. So
 * a block always holds its nodes' pieces side by side, nothing is ever copied back into place,
 * and a node is its pieces in block order (each tree's bookkeeping is a few thousand numbers).
 */
export class TreeGrower {
  /** Node histograms of the tree being grown, reused tree after tree (see HistogramArena). */
  private readonly arena = new HistogramArena();
  /** A partition's or histogram phase's entries (see Entries). */
  private readonly entries = new Entries();
  /** Leaf entries of two trees: the one being grown and the previous one, used in turn. */
  private readonly leafLists = [new Entries(), new Entries()];

  constructor(
    private readonly exec: BlockExecutor,
    private readonly layout: BinLayout,
    private readonly p: GrowParams,
    private readonly baseArgs: PhaseArgs,
  ) {}

  /**
   * Grows round `round`'s tree on the sampled `features`. The first phase is the boosting step
   * (see `boost`), which also adds `previous` (the last tree, if any) to every row's margin.
   */
  grow(round: number, nRows: number, features: readonly number[], previous: GrownTree | null): GrownTree {
    const { p, layout } = this;
    const builder = new TreeBuilder();
    const hl = this.histogramLayout(features);
    this.arena.reset();
    const { sampled, out, rootHist } = this.boost(round, nRows, hl, previous);
    let ids = 0; // the boost phase wrote the ids into buffer 0
    // Every row falls in exactly one cell of each column: one column's cells give the root's sums.
    let g = 0;
    let h = 0;
    const first = hl.columnOffsets[0];
    for (let s = first; s < first + layout.bundles[hl.columns[0]].cells; s++) {
      g += rootHist[2 * s];
      h += rootHist[2 * s + 1];
    }
    const rootId = builder.addNode(-1, this.leafValue(g, h), h);
    let level: LevelNode[] = [{ id: rootId, sampled, out, hist: rootHist, g, h }];
    // This tree's leaf entries; the other list holds the previous tree's, still to be applied.
    const leafEntries = previous?.leafEntries === this.leafLists[0] ? this.leafLists[1] : this.leafLists[0];
    leafEntries.count = 0;
    const pushLeaf = (n: LevelNode) => {
      for (const q of [n.sampled, n.out])
        for (let k = 0; k < q.length; k += 2) leafEntries.add(q[k], q[k + 1], n.id, -1, ids, 0);
    };

    for (let depth = 0; depth < p.max_depth && level.length > 0; depth++) {
      const splits = level.map((n) =>
        n.hist ? findBestSplit(n.hist, n.g, n.h, features, hl.offsets, layout.nBins, p) : null,
      );
      const splitting = level.filter((_, i) => splits[i] !== null);
      level.forEach((n, i) => {
        if (splits[i] === null) pushLeaf(n);
      });
      level = [];
      if (splitting.length === 0) break;
      const chosen = splits.filter((s): s is SplitCandidate => s !== null);
      if (depth + 1 === p.max_depth) {
        splitting.forEach((node, j) => {
          const left = this.addChildren(builder, node, chosen[j]);
          const { feature, bin, defaultLeft } = chosen[j];
          for (const q of [node.sampled, node.out])
            for (let k = 0; k < q.length; k += 2)
              leafEntries.add(q[k], q[k + 1], left, feature, bin, defaultLeft ? 1 : 0);
        });
        break;
      }
      const leftCounts = this.partition(splitting, chosen, ids);
      ids ^= 1;

      const next: LevelNode[] = [];
      const smaller: Pieces[] = [];
      let piece = 0;
      splitting.forEach((node, j) => {
        const s = chosen[j];
        const leftId = this.addChildren(builder, node, s);
        const l: LevelNode = { id: leftId, sampled: [], out: [], hist: null, g: s.leftG, h: s.leftH };
        const r: LevelNode = {
          id: leftId + 1,
          sampled: [],
          out: [],
          hist: null,
          g: node.g - s.leftG,
          h: node.h - s.leftH,
        };
        for (const [from, toL, toR] of [
          [node.sampled, l.sampled, r.sampled],
          [node.out, l.out, r.out],
        ]) {
          for (let k = 0; k < from.length; k += 2) {
            const mid = from[k] + leftCounts[piece++];
            if (mid > from[k]) toL.push(from[k], mid);
            if (from[k + 1] > mid) toR.push(mid, from[k + 1]);
          }
        }
        next.push(l, r);
        smaller.push(pieceRows(l.sampled) <= pieceRows(r.sampled) ? l.sampled : r.sampled);
      });
      const built = this.buildHistograms(smaller, hl, ids);
      splitting.forEach((node, j) => {
        const l = next[2 * j];
        const r = next[2 * j + 1];
        const small = built[j];
        // The parent's histogram is not needed again: it becomes the larger child's.
        const large = node.hist!;
        for (let i = 0; i < large.length; i++) large[i] -= small[i];
        const leftIsSmall = smaller[j] === l.sampled;
        l.hist = leftIsSmall ? small : large;
        r.hist = leftIsSmall ? large : small;
      });
      level = next;
    }
    for (const n of level) pushLeaf(n);
    return { tree: builder.finish(), ids, leafEntries };
  }

  /**
   * The boosting step, one task a block (in block order: the block seeds its subsample draws):
   * the block's rows first take `previous`'s leaves (its leaf entries in that block, see
   * `applyLeaf`), then get their gradients and subsample (`boostBlock`), then the block's sampled
   * rows are added to its partial root histogram. One pass over a block's data while it is in
   * cache, and no phase of its own for leaves or the root. Returns the root's pieces (sampled and
   * not) and its histogram.
   */
  private boost(
    round: number,
    nRows: number,
    hl: HistogramLayout,
    previous: GrownTree | null,
  ): { sampled: Pieces; out: Pieces; rootHist: Float64Array } {
    this.selectHistogramKernel(hl);
    const blockRows = blockRowsFor(nRows);
    const nBlocks = Math.ceil(nRows / blockRows);
    const nEntries = previous?.leafEntries.count ?? 0;
    const entries = previous?.leafEntries.data ?? new Int32Array(0);
    // A leaf entry is a piece, so it lies in one block: order entries by block (stably).
    const firstOf = new Int32Array(nBlocks + 1);
    for (let q = 0; q < nEntries; q++) firstOf[Math.floor(entries[q * TASK_WIDTH] / blockRows) + 1]++;
    for (let b = 0; b < nBlocks; b++) firstOf[b + 1] += firstOf[b];
    this.exec.ensureTasks(nBlocks + nEntries, nBlocks * hl.doubles);
    const tt = this.exec.views.tasks;
    const next = firstOf.slice(0, nBlocks);
    for (let q = 0; q < nEntries; q++) {
      const from = q * TASK_WIDTH;
      const to = (nBlocks + next[Math.floor(entries[from] / blockRows)]++) * TASK_WIDTH;
      for (let f = 0; f < TASK_WIDTH; f++) tt[to + f] = entries[from + f];
    }
    for (let b = 0; b < nBlocks; b++) {
      const o = b * TASK_WIDTH;
      tt[o] = b * blockRows;
      tt[o + 1] = Math.min(nRows, (b + 1) * blockRows);
      tt[o + 2] = nBlocks + firstOf[b];
      tt[o + 3] = firstOf[b + 1] - firstOf[b];
    }
    this.exec.run(PHASE.boost, {
      ...this.baseArgs,
      nTasks: nBlocks,
      round,
      idsFrom: previous?.ids ?? 0,
      histDoubles: hl.doubles,
      histColumns: hl.columns,
      histOffsets: hl.columnOffsets,
    });
    // The root's pieces: each block's sampled ids at its start in id buffer 0, the others after.
    const sampled: Pieces = [];
    const out: Pieces = [];
    for (let b = 0; b < nBlocks; b++) {
      const start = b * blockRows;
      const mid = start + this.exec.views.results[b];
      const end = Math.min(nRows, start + blockRows);
      if (mid > start) sampled.push(start, mid);
      if (end > mid) out.push(mid, end);
    }
    const [rootHist] = this.collectHistograms([nBlocks], hl);
    return { sampled, out, rootHist };
  }

  /** Adds a split node's two children (ids left, left + 1) and records the split; returns left. */
  private addChildren(builder: TreeBuilder, node: LevelNode, s: SplitCandidate): number {
    const rg = node.g - s.leftG;
    const rh = node.h - s.leftH;
    const leftId = builder.addNode(node.id, this.leafValue(s.leftG, s.leftH), s.leftH);
    const rightId = builder.addNode(node.id, this.leafValue(rg, rh), rh);
    builder.setSplit(
      node.id,
      s.feature,
      this.layout.cuts[s.feature][s.bin],
      s.defaultLeft,
      s.gain,
      leftId,
      rightId,
    );
    return leftId;
  }

  /** Leaf value as XGBoost computes it: zero below min_child_weight, scaled by the learning rate. */
  private leafValue(g: number, h: number): number {
    if (h < this.p.min_child_weight || h <= 0) return 0;
    return Math.fround(leafWeight(g, h, this.p) * this.p.learning_rate);
  }

  /**
   * Splits every piece (sampled, then out of sample) of each splitting node by its split, from
   * id buffer `ids` into the other one (see `partitionBlock`); returns each piece's left count,
   * pieces numbered in that order.
   */
  private partition(nodes: LevelNode[], splits: SplitCandidate[], ids: number): Int32Array {
    const entries = this.entries;
    entries.count = 0;
    nodes.forEach((node, j) => {
      const { feature, bin, defaultLeft } = splits[j];
      for (const q of [node.sampled, node.out])
        for (let k = 0; k < q.length; k += 2)
          entries.add(q[k], q[k + 1], feature, bin, defaultLeft ? 1 : 0, entries.count);
    });
    const nTasks = this.writeEntryTasks(groupEntries(entries, 0, entries.count, TASK_ROWS), entries, 0);
    this.exec.run(PHASE.partition, { ...this.baseArgs, nTasks, idsFrom: ids });
    return this.exec.views.results.slice(0, entries.count);
  }

  /**
   * Lays out a phase's task table: each task (first entry, entry count, slot) over its run of
   * `entries` (written after the tasks), largest first so no thread is left with a long last
   * task while the other waits. Returns the task count.
   */
  private writeEntryTasks(tasks: EntryTask[], entries: Entries, partialDoubles: number): number {
    const nTasks = tasks.length;
    this.exec.ensureTasks(nTasks + entries.count, partialDoubles);
    const tt = this.exec.views.tasks;
    const order = tasks.map((_, k) => k).sort((a, b) => tasks[b].rows - tasks[a].rows || a - b);
    order.forEach((k, t) => {
      tt[t * TASK_WIDTH] = nTasks + tasks[k].first;
      tt[t * TASK_WIDTH + 1] = tasks[k].count;
      tt[t * TASK_WIDTH + 2] = tasks[k].slot;
    });
    tt.set(entries.data.subarray(0, entries.count * TASK_WIDTH), nTasks * TASK_WIDTH);
    return nTasks;
  }

  /**
   * Where a tree's histogram slots are (see HistogramLayout): only bundles holding a feature the
   * tree samples are accumulated, and only sampled features get their own slots, so zeroing,
   * summing and subtracting histograms costs nothing for the others.
   */
  private histogramLayout(features: readonly number[]): HistogramLayout {
    const sampled = new Set(features);
    const { bundles } = this.layout;
    const offsets = new Int32Array(this.layout.nFeatures);
    const columns: number[] = [];
    const columnOffsets: number[] = [];
    let slots = 0;
    bundles.forEach((b, k) => {
      if (!b.features.some((f) => sampled.has(f))) return;
      columns.push(k);
      columnOffsets.push(slots);
      if (b.features.length === 1) offsets[b.features[0]] = slots;
      slots += b.cells;
    });
    const joints: HistogramLayout["joints"] = [];
    columns.forEach((k, j) => {
      const b = bundles[k];
      if (b.features.length === 1) return;
      const members: Marginal[] = [];
      b.features.forEach((f, m) => {
        if (!sampled.has(f)) return;
        offsets[f] = slots;
        members.push({ offset: slots, codes: this.layout.memberCodes[k][m] });
        slots += b.sizes[m];
      });
      joints.push({ offset: columnOffsets[j], cells: b.cells, members });
    });
    return { columns, columnOffsets, offsets, joints, doubles: 2 * slots };
  }

  /** Makes every thread use the histogram kernel for this tree's column count (modules are kept). */
  private selectHistogramKernel(hl: HistogramLayout): void {
    const rowColumns = this.layout.bundles.length;
    const codeBytes = this.exec.buffers.wideBins ? 2 : 1;
    this.exec.useWasmHistogramKernel(
      `${hl.columns.length}/${rowColumns}/${codeBytes}`,
      histogramModule(hl.columns.length, rowColumns, codeBytes),
    );
  }

  /**
   * Histograms of nodes given by their sampled pieces in id buffer `ids`, in one phase. A node's
   * consecutive pieces are grouped into tasks of about HISTOGRAM_TASK_ROWS rows; each task fills
   * its own partial histogram, summed per node in task order below, so the bytes never depend
   * on which thread ran what.
   */
  private buildHistograms(nodes: Pieces[], hl: HistogramLayout, ids: number): Float64Array[] {
    const hd = hl.doubles;
    this.selectHistogramKernel(hl);
    const entries = this.entries;
    entries.count = 0;
    const tasks: EntryTask[] = [];
    const partials: number[] = []; // per node
    for (const node of nodes) {
      const first = entries.count;
      for (let k = 0; k < node.length; k += 2) entries.add(node[k], node[k + 1], 0, 0, 0, 0);
      const before = tasks.length;
      tasks.push(...groupEntries(entries, first, entries.count, HISTOGRAM_TASK_ROWS, tasks.length));
      partials.push(tasks.length - before);
    }
    const nTasks = this.writeEntryTasks(tasks, entries, tasks.length * hd);
    this.exec.run(PHASE.histogram, {
      ...this.baseArgs,
      nTasks,
      idsFrom: ids,
      histDoubles: hd,
      histColumns: hl.columns,
      histOffsets: hl.columnOffsets,
    });
    return this.collectHistograms(partials, hl);
  }

  /**
   * Each node's histogram, summed from its `partials[j]` partial histograms (consecutive slots,
   * node after node), in slot order so the bytes never depend on the threads.
   */
  private collectHistograms(partials: number[], hl: HistogramLayout): Float64Array[] {
    const hd = hl.doubles;
    const partial = this.exec.views.partial;
    const out: Float64Array[] = [];
    let slot = 0;
    for (const count of partials) {
      const hist = this.arena.take(hd);
      if (count === 0) hist.fill(0);
      else hist.set(partial.subarray(slot * hd, (slot + 1) * hd));
      for (let k = 1; k < count; k++) {
        const base = (slot + k) * hd;
        for (let i = 0; i < hd; i++) hist[i] += partial[base + i];
      }
      slot += count;
      for (const j of hl.joints) marginalize(hist, j.offset, j.cells, j.members);
      out.push(hist);
    }
    return out;
  }
}

/** A task over entries `[first, first + count)` holding `rows` rows; `slot` is its partial histogram. */
interface EntryTask {
  first: number;
  count: number;
  rows: number;
  slot: number;
}

/** Entries `[from, to)` grouped in order into tasks of about `rowsPerTask` rows, slots from `firstSlot`. */
function groupEntries(
  entries: Entries,
  from: number,
  to: number,
  rowsPerTask: number,
  firstSlot = 0,
): EntryTask[] {
  const tasks: EntryTask[] = [];
  for (let q = from; q < to;) {
    const first = q;
    let rows = 0;
    for (; q < to && rows < rowsPerTask; q++) rows += entries.rows(q);
    tasks.push({ first, count: q - first, rows, slot: firstSlot + tasks.length });
  }
  return tasks;
}

/**
 * Histogram storage handed out during one tree and taken back all at once before the next.
 * Allocating each node's histogram afresh (~20 KB, tens a tree) made V8 count the buffers as
 * external memory and run a full mark-compact every few trees; its concurrent marking threads
 * then took the CPU from a training thread mid-phase (measured: phases stalled for 2-9 ms).
 */
class HistogramArena {
  private chunks: Float64Array[] = [];
  private chunk = 0;
  private used = 0;

  reset(): void {
    this.chunk = 0;
    this.used = 0;
  }

  /** A histogram of `doubles` values (not zeroed), valid until the next `reset`. */
  take(doubles: number): Float64Array {
    let c = this.chunks[this.chunk];
    if (c !== undefined && this.used + doubles > c.length) {
      this.chunk++;
      this.used = 0;
      c = this.chunks[this.chunk];
    }
    if (c === undefined || doubles > c.length) {
      c = new Float64Array(Math.max(doubles, 1 << 18));
      this.chunks[this.chunk] = c;
    }
    const hist = c.subarray(this.used, this.used + doubles);
    this.used += doubles;
    return hist;
  }
}
