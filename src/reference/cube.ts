/**
 * Plain-TypeScript twins of the cube kernels (assembly/revalue.ts, assembly/aggregate.ts,
 * assembly/grid.ts): the same inputs as typed arrays, the same outputs, written for clarity.
 * Tests compare the WebAssembly kernels with these; benchmarks use them as the baseline.
 */
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, COL_STYLE,
  KIND_SPOT, KIND_LINEAR, KIND_CALL, STATUS_NOT_FINITE, STATUS_OK, STYLE_AMERICAN,
} from '../layout.js';
import { bsmPriceRef } from './valuation.js';
import { americanPriceRef } from './american.js';

/** The price of an option per unit: Bjerksund-Stensland (2002) for an American one, else BSM. */
export function optionPriceRef(american: boolean, call: boolean, S: number, K: number, T: number, r: number, q: number, vol: number): number {
  return american ? americanPriceRef(call, S, K, T, r, q, vol) : bsmPriceRef(call, S, K, T, r, q, vol);
}

/** Twin of `revalue`: the n x stride P&L cube. */
export function referenceRevalue(
  table: Float64Array, n: number, spotMult: Float64Array, volShock: Float64Array,
  volWeight: Float64Array, horizonYears: number, nScen: number, stride: number,
): Float64Array {
  const cube = new Float64Array(n * stride);
  const at = (c: number, i: number) => table[c * n + i];
  for (let i = 0; i < n; i++) {
    const kind = at(COL_KIND, i), S = at(COL_S, i), cs = at(COL_CS, i), u = at(COL_U, i);
    for (let s = 0; s < nScen; s++) {
      const m = spotMult[u * stride + s];
      let pnl: number;
      if (kind === KIND_SPOT) pnl = cs * S * (m - 1);
      else if (kind === KIND_LINEAR) pnl = cs * at(COL_F, i) * (m - 1);
      else {
        const call = kind === KIND_CALL;
        const K = at(COL_K, i), T = at(COL_T, i), r = at(COL_R, i), q = at(COL_Q, i), vol = at(COL_VOL, i);
        const vol1 = vol * (1 + volShock[u * stride + s] * volWeight[i]);
        const am = at(COL_STYLE, i) === STYLE_AMERICAN;
        pnl = cs * (optionPriceRef(am, call, S * m, K, T - horizonYears, r, q, vol1) - optionPriceRef(am, call, S, K, T, r, q, vol));
      }
      cube[i * stride + s] = pnl;
    }
  }
  return cube;
}

/** Twin of `aggregate`: nRows x stride P&L rows. */
export function referenceAggregate(
  cube: Float64Array, stride: number, posInstr: ArrayLike<number>, posQty: ArrayLike<number>,
  posRow: ArrayLike<number>, nRows: number,
): Float64Array {
  const out = new Float64Array(nRows * stride);
  for (let p = 0; p < posInstr.length; p++) {
    for (let s = 0; s < stride; s++) out[posRow[p] * stride + s] += posQty[p] * cube[posInstr[p] * stride + s];
  }
  return out;
}

/** Twin of revalue's status: STATUS_NOT_FINITE when a cell of the cube is NaN or infinite, else STATUS_OK. */
export function referenceCubeStatus(cube: Float64Array): number {
  return cube.every(Number.isFinite) ? STATUS_OK : STATUS_NOT_FINITE;
}

export interface GridReduction {
  /** The kernel's status: STATUS_NOT_FINITE when a P&L or a sum is NaN or infinite (the other fields are then unspecified). */
  status: number;
  /** Per group: max(0, max_j N[g][j]). */
  R: number[];
  /** Per group: the first point attaining max_j N[g][j]. */
  worst: number[];
  /** N[g][j]. */
  N: number[][];
  /** L[r][j]. */
  L: number[][];
}

/** Twin of `gridReduce`, written straight from docs/methods.md §6. */
export function referenceGridReduce(
  pnl: Float64Array, stride: number, nRows: number, rowGroup: ArrayLike<number>, offsets: ArrayLike<number>,
  scenPoint: ArrayLike<number>, nScen: number, cover: ArrayLike<number>,
): GridReduction {
  const nPoints = cover.length, nGroups = offsets.length;
  const L: number[][] = [];
  for (let r = 0; r < nRows; r++) {
    const row: number[] = [];
    for (let j = 0; j < nPoints; j++) {
      let worstLoss = -Infinity;
      for (let s = 0; s < nScen; s++) if (scenPoint[s] === j) worstLoss = Math.max(worstLoss, -pnl[r * stride + s]);
      row.push(worstLoss === -Infinity ? 0 : cover[j] * worstLoss);
    }
    L.push(row);
  }
  const N: number[][] = [], R: number[] = [], worst: number[] = [];
  for (let g = 0; g < nGroups; g++) {
    const Ng: number[] = [];
    for (let j = 0; j < nPoints; j++) {
      let gains = 0, losses = 0;
      for (let r = 0; r < nRows; r++) {
        if (rowGroup[r] !== g) continue;
        losses += Math.max(L[r][j], 0);
        gains += Math.max(-L[r][j], 0);
      }
      Ng.push(losses - offsets[g] * gains);
    }
    let w = 0;
    for (let j = 1; j < nPoints; j++) if (Ng[j] > Ng[w]) w = j;
    N.push(Ng);
    R.push(Math.max(0, Ng[w]));
    worst.push(w);
  }
  // A NaN never drops out of a maximum: a non-finite P&L or sum is reported, as the kernel does.
  let finite = true;
  for (let r = 0; r < nRows; r++) for (let s = 0; s < nScen; s++) if (!Number.isFinite(pnl[r * stride + s])) finite = false;
  for (const row of [...L, ...N]) if (!row.every(Number.isFinite)) finite = false;
  return { status: finite ? STATUS_OK : STATUS_NOT_FINITE, R, worst, N, L };
}
