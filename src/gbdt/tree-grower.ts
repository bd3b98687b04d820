import type { BlockExecutor } from "./block-executor.js";
import { HISTOGRAM_TASK, PHASE, TASK_WIDTH, type PhaseArgs } from "./block-tasks.js";
import { marginalize, type FeatureBundle, type Marginal } from "./feature-bundles.js";
import { BLOCK_ROWS, histogramKernelSource } from "./kernels.js";
import { findBestSplit, leafWeight, type SplitCandidate, type SplitParams } from "./split-finder.js";
import { TreeBuilder, type RegressionTree } from "./tree.js";

/**
 * Rows per partition task (small ones balance the threads). Each block's two parts are a
 * histogram task of their child, so like BLOCK_ROWS this fixes the order of float sums: it is a
 * constant, never derived from the thread count.
 */
const PARTITION_BLOCK_ROWS = 16_384;

/**
 * Rows a histogram task gathers from consecutive pieces of one node (a piece is at most a block).
 * Each task fills a partial histogram the main thread then sums: fewer, larger tasks mean fewer
 * partials to zero and sum (~2,300 doubles each). Fixed, like the blocks: it groups the float sums.
 */
const HISTOGRAM_TASK_ROWS = 16_384;

/** Where one partitioned block's parts go back in `rows` (see `gatherBlock`). */
interface BlockMove {
  blockStart: number;
  leftCount: number;
  rightCount: number;
  leftDst: number;
  rightDst: number;
}

/**
 * Moves after a phase that split every block of some row ranges in two (the k-th block of the
 * ranges, in order, has its first `counts[k]` ids in `left` from its start, the rest in `right`):
 * each range becomes all its left parts then all its right parts, in block order. `ranges[r]`'s
 * blocks are `moves[firstMove[r]..firstMove[r + 1])`.
 */
interface MovePlan {
  moves: BlockMove[];
  firstMove: number[];
}

function planMoves(
  ranges: readonly { start: number; end: number }[],
  blockRows: number,
  counts: ArrayLike<number>,
): MovePlan {
  const moves: BlockMove[] = [];
  const firstMove: number[] = [];
  for (const { start, end } of ranges) {
    firstMove.push(moves.length);
    let leftDst = start;
    const first = moves.length;
    for (let b = start; b < end; b += blockRows) {
      const leftCount = counts[moves.length];
      const rightCount = Math.min(end, b + blockRows) - b - leftCount;
      moves.push({ blockStart: b, leftCount, rightCount, leftDst, rightDst: 0 });
      leftDst += leftCount;
    }
    let rightDst = leftDst;
    for (let k = first; k < moves.length; k++) {
      moves[k].rightDst = rightDst;
      rightDst += moves[k].rightCount;
    }
  }
  firstMove.push(moves.length);
  return { moves, firstMove };
}

/** How many ids of range `r` went left. */
function leftCount(plan: MovePlan, r: number): number {
  let n = 0;
  for (let k = plan.firstMove[r]; k < plan.firstMove[r + 1]; k++) n += plan.moves[k].leftCount;
  return n;
}

/** Where a child's ids sit before they are moved: parts of `left` (side 0) or `right` (side 1). */
type Piece = { side: 0 | 1; start: number; end: number };

/** The left (side 0) or right (side 1) parts of range `r`'s blocks. */
function pieces(plan: MovePlan, r: number, side: 0 | 1): Piece[] {
  const out: Piece[] = [];
  for (let k = plan.firstMove[r]; k < plan.firstMove[r + 1]; k++) {
    const m = plan.moves[k];
    const count = side === 0 ? m.leftCount : m.rightCount;
    if (count > 0) out.push({ side, start: m.blockStart, end: m.blockStart + count });
  }
  return out;
}

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

interface LevelNode {
  id: number;
  /** The node's sampled rows: rows[start, end). */
  start: number;
  end: number;
  /** The node's rows left out of this tree's sample: rows[outStart, outEnd). */
  outStart: number;
  outEnd: number;
  hist: Float64Array | null;
  g: number;
  h: number;
}

/**
 * A grown tree plus what training needs next: where each leaf's rows are (sampled
 * and not: every row's margin takes the new tree's value). Rows of a leaf above the last level
 * form segments of `rows`; rows split at the last level are never partitioned (nothing is built
 * on them after): their segments and split are given instead, and the split sends each row to
 * one of the two leaves `left`, `left + 1`.
 */
export interface GrownTree {
  tree: RegressionTree;
  /** Rows `rows[start, end)` all in leaf `node`. */
  leafSegments: { start: number; end: number; node: number }[];
  /** Rows `rows[start, end)` of a node whose split sends them to leaves `left` or `left + 1`. */
  lastSplits: {
    start: number;
    end: number;
    left: number;
    feature: number;
    bin: number;
    defaultLeft: boolean;
  }[];
}

/**
 * Grows one tree depth-wise over the sampled rows `rows[0, nSampled)`: at each level, find every
 * node's best split from its histogram, partition the rows, then build the histogram of the
 * smaller child only and get its sibling by subtraction from the parent. The rows left out of
 * the sample, `rows[nSampled, nRows)`, are partitioned alongside (never histogrammed) so that
 * their margins too are updated from their leaf's segment: walking them down the tree afterwards
 * cost ~4 ns a row and level, partitioning them ~1.7.
 */
export class TreeGrower {
  /** Node histograms of the tree being grown, reused tree after tree (see HistogramArena). */
  private readonly arena = new HistogramArena();
  /** Histogram kernel sources by column count and in-order flag (generated once, not per level). */
  private readonly kernelSources = new Map<string, string>();

  constructor(
    private readonly exec: BlockExecutor,
    private readonly layout: BinLayout,
    private readonly p: GrowParams,
    private readonly baseArgs: PhaseArgs,
  ) {}

  /**
   * `sampledPerBlock[b]`: how many rows of block b (BLOCK_ROWS rows from b · BLOCK_ROWS) the boost
   * phase sampled; their ids are in `left` from the block's start, the others' in `right`.
   */
  grow(sampledPerBlock: ArrayLike<number>, nRows: number, features: readonly number[]): GrownTree {
    const { p, layout } = this;
    const builder = new TreeBuilder();
    const hl = this.histogramLayout(features);
    this.arena.reset();
    // Sampled rows to rows[0, nSampled), the others after them, while the root's histogram is
    // built from the sampled ids where the boost phase left them.
    const rootPlan = planMoves([{ start: 0, end: nRows }], BLOCK_ROWS, sampledPerBlock);
    const nSampled = leftCount(rootPlan, 0);
    const [rootHist] = this.moveAndBuildHistograms(rootPlan, [pieces(rootPlan, 0, 0)], hl, true);
    // Every row falls in exactly one cell of each column: one column's cells give the root's sums.
    let g = 0;
    let h = 0;
    const first = hl.columnOffsets[0];
    for (let s = first; s < first + layout.bundles[hl.columns[0]].cells; s++) {
      g += rootHist[2 * s];
      h += rootHist[2 * s + 1];
    }
    const rootId = builder.addNode(-1, this.leafValue(g, h), h);
    let level: LevelNode[] = [
      { id: rootId, start: 0, end: nSampled, outStart: nSampled, outEnd: nRows, hist: rootHist, g, h },
    ];
    const leafSegments: GrownTree["leafSegments"] = [];
    const lastSplits: GrownTree["lastSplits"] = [];

    for (let depth = 0; depth < p.max_depth && level.length > 0; depth++) {
      const splits = level.map((n) =>
        n.hist ? findBestSplit(n.hist, n.g, n.h, features, hl.offsets, layout.nBins, p) : null,
      );
      const splitting = level.filter((_, i) => splits[i] !== null);
      level.forEach((n, i) => {
        if (splits[i] === null) pushLeaf(leafSegments, n);
      });
      level = [];
      if (splitting.length === 0) break;
      const chosen = splits.filter((s): s is SplitCandidate => s !== null);
      if (depth + 1 === p.max_depth) {
        splitting.forEach((node, j) => {
          const left = this.addChildren(builder, node, chosen[j]);
          const { feature, bin, defaultLeft } = chosen[j];
          for (const [start, end] of [
            [node.start, node.end],
            [node.outStart, node.outEnd],
          ])
            if (end > start) lastSplits.push({ start, end, left, feature, bin, defaultLeft });
        });
        break;
      }
      const ranges = splitting.flatMap((node, j) => [
        { start: node.start, end: node.end, split: chosen[j] },
        { start: node.outStart, end: node.outEnd, split: chosen[j] },
      ]);
      const plan = this.partition(ranges);

      const next: LevelNode[] = [];
      const smaller: Piece[][] = [];
      splitting.forEach((node, j) => {
        const s = chosen[j];
        const mid = node.start + leftCount(plan, 2 * j);
        const outMid = node.outStart + leftCount(plan, 2 * j + 1);
        const leftId = this.addChildren(builder, node, s);
        next.push({
          id: leftId,
          start: node.start,
          end: mid,
          outStart: node.outStart,
          outEnd: outMid,
          hist: null,
          g: s.leftG,
          h: s.leftH,
        });
        next.push({
          id: leftId + 1,
          start: mid,
          end: node.end,
          outStart: outMid,
          outEnd: node.outEnd,
          hist: null,
          g: node.g - s.leftG,
          h: node.h - s.leftH,
        });
        smaller.push(pieces(plan, 2 * j, mid - node.start <= node.end - mid ? 0 : 1));
      });
      const built = this.moveAndBuildHistograms(plan, smaller, hl, false);
      splitting.forEach((node, j) => {
        const l = next[2 * j];
        const r = next[2 * j + 1];
        const leftIsSmall = l.end - l.start <= r.end - r.start;
        const small = built[j];
        // The parent's histogram is not needed again: it becomes the larger child's.
        const large = node.hist!;
        for (let i = 0; i < large.length; i++) large[i] -= small[i];
        l.hist = leftIsSmall ? small : large;
        r.hist = leftIsSmall ? large : small;
      });
      level = next;
    }
    for (const n of level) pushLeaf(leafSegments, n);
    return { tree: builder.finish(), leafSegments, lastSplits };
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
   * Splits each range of rows by its split, block by block, into `left` and `right` (moved back
   * into `rows` by the next histogram phase); returns where the parts are and go. Blocks are
   * small and handed out largest first so both threads finish together.
   */
  private partition(
    ranges: { start: number; end: number; split: { feature: number; bin: number; defaultLeft: boolean } }[],
  ): MovePlan {
    const tasks: number[][] = [];
    for (const { start, end, split } of ranges)
      for (let b = start; b < end; b += PARTITION_BLOCK_ROWS)
        tasks.push([
          b,
          Math.min(end, b + PARTITION_BLOCK_ROWS),
          split.feature,
          split.bin,
          split.defaultLeft ? 1 : 0,
        ]);
    this.exec.ensureTasks(tasks.length, 0);
    const tt = this.exec.views.tasks;
    largestFirst(tasks).forEach((slot, t) => {
      tt.set(tasks[slot], t * TASK_WIDTH);
      tt[t * TASK_WIDTH + 5] = slot; // where its left count goes in `results`
    });
    this.exec.run(PHASE.partition, { ...this.baseArgs, nTasks: tasks.length });
    return planMoves(ranges, PARTITION_BLOCK_ROWS, this.exec.views.results);
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

  /**
   * One phase: the plan's moves back into `rows`, and the histogram of each node from its
   * pieces. A node's consecutive pieces are grouped into tasks of about HISTOGRAM_TASK_ROWS
   * rows; each task fills its own partial histogram, summed per node in task order below, so the
   * bytes never depend on which thread ran what. Histogram tasks go first, largest first, and
   * the cheap moves last, so no thread is left with a long last task while the other waits.
   */
  private moveAndBuildHistograms(
    plan: MovePlan,
    nodes: Piece[][],
    hl: HistogramLayout,
    inOrder: boolean,
  ): Float64Array[] {
    const hd = hl.doubles;
    const binColumns = this.layout.bundles.length;
    const key = `${hl.columns.length}/${inOrder}`;
    let source = this.kernelSources.get(key);
    if (source === undefined) {
      source = histogramKernelSource(binColumns, hl.columns.length, inOrder);
      this.kernelSources.set(key, source);
    }
    this.exec.useHistogramKernel(source);
    // Histogram tasks as (first piece, piece count, rows), pieces numbered over all nodes.
    const histTasks: [number, number, number][] = [];
    const partials: number[] = []; // per node
    let piece = 0;
    for (const node of nodes) {
      const first = histTasks.length;
      for (let q = 0; q < node.length; ) {
        let rows = 0;
        const start = q;
        while (q < node.length && rows < HISTOGRAM_TASK_ROWS) rows += node[q].end - node[q++].start;
        histTasks.push([piece + start, q - start, rows]);
      }
      piece += node.length;
      partials.push(histTasks.length - first);
    }
    const nTasks = histTasks.length + plan.moves.length;
    this.exec.ensureTasks(nTasks + piece, histTasks.length * hd);
    const tt = this.exec.views.tasks;
    let t = 0;
    const bySize = histTasks.map((_, k) => k).sort((a, b) => histTasks[b][2] - histTasks[a][2] || a - b);
    for (const k of bySize) {
      const [firstPiece, count] = histTasks[k];
      tt.set([nTasks + firstPiece, count, k, 0, 0, HISTOGRAM_TASK.histogram], TASK_WIDTH * t++);
    }
    for (const m of plan.moves) {
      tt.set(
        [m.blockStart, m.leftCount, m.rightCount, m.leftDst, m.rightDst, HISTOGRAM_TASK.move],
        TASK_WIDTH * t++,
      );
    }
    for (const node of nodes) for (const p of node) tt.set([p.side, p.start, p.end], TASK_WIDTH * t++);
    this.exec.run(PHASE.histogram, {
      ...this.baseArgs,
      nTasks,
      histDoubles: hd,
      histColumns: hl.columns,
      histOffsets: hl.columnOffsets,
    });
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

function pushLeaf(segments: GrownTree["leafSegments"], n: LevelNode): void {
  if (n.end > n.start) segments.push({ start: n.start, end: n.end, node: n.id });
  if (n.outEnd > n.outStart) segments.push({ start: n.outStart, end: n.outEnd, node: n.id });
}

/** Task indices ordered by row count (end − start), largest first; ties keep their order. */
function largestFirst(tasks: readonly (readonly number[])[]): number[] {
  const size = (t: number) => tasks[t][1] - tasks[t][0];
  return tasks.map((_, i) => i).sort((a, b) => size(b) - size(a) || a - b);
}
