/**
 * Host side of the scenario-grid reduction kernel (assembly/grid.ts): per-underlying P&L rows to
 * group requirements (docs/methods.md). The wrapper owns the grid's regions (the point of each
 * scenario, the cover of each point: set once by setGrid) and the per-call regions (the row
 * groups, the group offsets, the output), grown on demand; the P&L rows are the caller's.
 */
import type { Arena } from '../wasm/arena.js';
import { STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, I32Region } from './region.js';

/** The reduction of one portfolio: views on the wrapper's output region (valid until the next call). */
export interface GridReduction {
  ok: true;
  /** R[g]: the requirement of each group. */
  requirement: Float64Array;
  /** worst[g]: the first grid point attaining it. */
  worst: Float64Array;
  /** N[g * nPoints + j]: the group's net loss at point j. */
  net: Float64Array;
  /** L[r * nPoints + j]: the row's loss at point j. */
  loss: Float64Array;
}

/** STATUS_NOT_FINITE: a P&L read is NaN or infinite, or a sum overflowed (data: an error row). */
export interface GridNotFinite {
  ok: false;
  status: typeof STATUS_NOT_FINITE;
}

export class GridReduceKernel {
  private readonly scenPoint: I32Region;
  private readonly cover: F64Region;
  private readonly rowGroup: I32Region;
  private readonly offsets: F64Region;
  private readonly out: F64Region;
  private nScen = 0;
  private nPoints = 0;

  constructor(readonly arena: Arena) {
    this.scenPoint = new I32Region(arena);
    this.cover = new F64Region(arena);
    this.rowGroup = new I32Region(arena);
    this.offsets = new F64Region(arena);
    this.out = new F64Region(arena);
  }

  /** The grid: the point of each scenario (in [0, nPoints)) and the cover of each point. */
  setGrid(scenPoint: ArrayLike<number>, cover: ArrayLike<number>): void {
    this.scenPoint.put(scenPoint);
    this.cover.put(cover);
    this.nScen = scenPoint.length;
    this.nPoints = cover.length;
  }

  /**
   * Reduces the nRows P&L rows at `pnl` (rows of `stride` f64) of one portfolio, row r in group
   * rowGroup[r] of the offsets' groups. A refused argument is a KernelError.
   */
  reduce(pnl: number, stride: number, rowGroup: ArrayLike<number>, offsets: ArrayLike<number>): GridReduction | GridNotFinite {
    const nRows = rowGroup.length, nGroups = offsets.length, nP = this.nPoints;
    const pG = this.rowGroup.put(rowGroup);
    const pO = this.offsets.put(offsets);
    const size = 2 * nGroups + nGroups * nP + nRows * nP;
    const out = this.out.ensure(Math.max(1, size));
    const status = this.arena.kernels.gridReduce(pnl, stride, nRows, pG, nGroups, pO, this.scenPoint.ptr, this.nScen,
      this.cover.ptr, nP, out);
    if (status === STATUS_NOT_FINITE) return { ok: false, status };
    if (status !== STATUS_OK) throw new KernelError('gridReduce', status);
    const v = this.out.f64(size);
    return {
      ok: true,
      requirement: v.subarray(0, nGroups),
      worst: v.subarray(nGroups, 2 * nGroups),
      net: v.subarray(2 * nGroups, 2 * nGroups + nGroups * nP),
      loss: v.subarray(2 * nGroups + nGroups * nP, size),
    };
  }
}
