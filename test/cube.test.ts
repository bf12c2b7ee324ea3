// The cube kernels (revalue, aggregate, gridReduce) against their plain-TypeScript twins on
// seeded random inputs. Tolerance: 1e-9 relative. An option's P&L is a difference of two prices,
// so for the cube the error is measured relative to the larger of |P&L| and the size of the
// prices it is the difference of (cs * (V(S') + V(S))): the two sides use different normal CDF
// implementations, each good to ~1e-15 of a price, and cancellation may leave a tiny P&L.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels } from '../src/wasm/module.js';
import {
  NCOLS, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U,
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, STATUS_OK, STATUS_BAD_ARGUMENT,
} from '../src/layout.js';
import * as layout from '../src/layout.js';
import { referenceAggregate, referenceGridReduce, referenceRevalue } from '../src/reference/cube.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { Rng, maxRelDiff } from './helpers/random.js';

const TOL = 1e-9;

function randomTable(rng: Rng, n: number, nU: number, spots: number[]): Float64Array {
  const t = new Float64Array(NCOLS * n);
  for (let i = 0; i < n; i++) {
    const u = rng.int(0, nU - 1);
    const kind = rng.pick([KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, KIND_CALL, KIND_PUT]);
    const S = spots[u];
    t[COL_KIND * n + i] = kind;
    t[COL_S * n + i] = S;
    t[COL_K * n + i] = kind >= KIND_CALL ? S * rng.uniform(0.5, 1.6) : 0;
    t[COL_T * n + i] = kind >= KIND_CALL ? rng.uniform(-0.02, 2) : 0;
    t[COL_R * n + i] = rng.uniform(-0.01, 0.08);
    t[COL_Q * n + i] = rng.uniform(0, 0.05);
    t[COL_VOL * n + i] = kind >= KIND_CALL ? rng.uniform(0.05, 1.5) : 0;
    t[COL_CS * n + i] = rng.pick([1, 0.1, 10, 100]);
    t[COL_F * n + i] = kind === KIND_LINEAR ? S * rng.uniform(0.95, 1.05) : 0;
    t[COL_U * n + i] = u;
  }
  return t;
}

describe('layout', () => {
  it('the module exports the same layout numbers as src/layout.ts', () => {
    const k = instantiateKernels();
    const names = ['KIND_SPOT', 'KIND_LINEAR', 'KIND_CALL', 'KIND_PUT', 'COL_KIND', 'COL_S', 'COL_K', 'COL_T', 'COL_R',
      'COL_Q', 'COL_VOL', 'COL_CS', 'COL_F', 'COL_U', 'NCOLS', 'OUT_VALUE', 'OUT_DELTA', 'OUT_GAMMA', 'OUT_VEGA',
      'OUT_THETA', 'NGREEKS'] as const;
    for (const name of names) {
      const g = k[name] as WebAssembly.Global;
      expect(g, name).toBeInstanceOf(WebAssembly.Global);
      expect(g.value, name).toBe((layout as Record<string, unknown>)[name]);
    }
  });
});

/** cs * (|V(S m)| + |V(S)|) per option cell, 0 for linear ones. */
function priceScale(table: Float64Array, n: number, spotMult: Float64Array, volShock: Float64Array,
  volWeight: Float64Array, h: number, nScen: number, stride: number): Float64Array {
  const scale = new Float64Array(n * stride);
  for (let i = 0; i < n; i++) {
    const kind = table[COL_KIND * n + i];
    if (kind < KIND_CALL) continue;
    const at = (c: number) => table[c * n + i];
    const call = kind === KIND_CALL;
    const v0 = bsmPriceRef(call, at(COL_S), at(COL_K), at(COL_T), at(COL_R), at(COL_Q), at(COL_VOL));
    for (let s = 0; s < nScen; s++) {
      const m = spotMult[at(COL_U) * stride + s];
      const v1 = bsmPriceRef(call, at(COL_S) * m, at(COL_K), at(COL_T) - h, at(COL_R), at(COL_Q),
        at(COL_VOL) * (1 + volShock[at(COL_U) * stride + s] * volWeight[i]));
      scale[i * stride + s] = at(COL_CS) * (Math.abs(v0) + Math.abs(v1));
    }
  }
  return scale;
}

describe('revalue kernel vs reference', () => {
  it('matches on 200 random markets (thousands of instrument x scenario cells)', () => {
    const rng = new Rng(20261121);
    let worst = 0, cells = 0;
    for (let trial = 0; trial < 200; trial++) {
      const nU = rng.int(1, 4), n = rng.int(1, 30), nScen = rng.int(1, 25), stride = nScen + (nScen & 1);
      const spots = Array.from({ length: nU }, () => rng.uniform(1, 100000));
      const table = randomTable(rng, n, nU, spots);
      const spotMult = new Float64Array(nU * stride).fill(1);
      for (let u = 0; u < nU; u++) for (let s = 0; s < nScen; s++) spotMult[u * stride + s] = rng.uniform(0.6, 1.4);
      const volShock = new Float64Array(nU * stride);
      for (let u = 0; u < nU; u++) for (let s = 0; s < nScen; s++) volShock[u * stride + s] = rng.uniform(-0.5, 0.5);
      const volWeight = Float64Array.from({ length: n }, () => rng.uniform(0.2, 1.8));
      const h = rng.pick([0, 1 / 365, 2 / 365, 0.1]);

      const arena = new Arena(instantiateKernels());
      const cube = arena.allocF64(n * stride);
      arena.f64(cube, n * stride).fill(NaN);
      const tablePtr = arena.putF64(table);
      // Built in two row ranges, as two threads would.
      const split = rng.int(0, n);
      let status = arena.kernels.revalue(tablePtr, n, split, n - split, arena.putF64(spotMult), nU, arena.putF64(volShock),
        arena.putF64(volWeight), h, nScen, stride, cube);
      expect(status).toBe(STATUS_OK);
      status = arena.kernels.revalue(tablePtr, n, 0, split, arena.putF64(spotMult), nU, arena.putF64(volShock),
        arena.putF64(volWeight), h, nScen, stride, cube);
      expect(status).toBe(STATUS_OK);
      const got = arena.f64(cube, n * stride);
      const want = referenceRevalue(table, n, spotMult, volShock, volWeight, h, nScen, stride);
      const scale = priceScale(table, n, spotMult, volShock, volWeight, h, nScen, stride);
      for (let c = 0; c < n * stride; c++) {
        const err = Math.abs(got[c] - want[c]) / Math.max(Math.abs(want[c]), scale[c], 1e-300);
        if (!(err <= TOL)) throw new Error(`trial ${trial}: cell ${c} got ${got[c]} want ${want[c]} (scale ${scale[c]})`);
        worst = Math.max(worst, err);
      }
      cells += n * nScen;
      for (let i = 0; i < n; i++) for (let s = nScen; s < stride; s++) expect(got[i * stride + s]).toBe(0);
    }
    expect(cells).toBeGreaterThan(10000);
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it('rejects a stride shorter than the scenario count and an underlying index out of range', () => {
    const arena = new Arena(instantiateKernels());
    const table = randomTable(new Rng(1), 2, 1, [100]);
    const t = arena.putF64(table), m = arena.putF64([1, 1, 1, 1]), v = arena.putF64([0, 0, 0, 0, 0, 0, 0, 0]), w = arena.putF64([1, 1]);
    const cube = arena.allocF64(8);
    expect(arena.kernels.revalue(t, 2, 0, 2, m, 1, v, w, 0, 2, 2, cube)).toBe(STATUS_OK);
    expect(arena.kernels.revalue(t, 2, 0, 2, m, 1, v, w, 0, 3, 2, cube)).toBe(STATUS_BAD_ARGUMENT);
    expect(arena.kernels.revalue(t, 2, 0, 2, m, 0, v, w, 0, 2, 2, cube)).toBe(STATUS_BAD_ARGUMENT);
    expect(arena.kernels.revalue(t, 2, 1, 2, m, 1, v, w, 0, 2, 2, cube)).toBe(STATUS_BAD_ARGUMENT);
    expect(arena.kernels.revalue(t, 2, -1, 1, m, 1, v, w, 0, 2, 2, cube)).toBe(STATUS_BAD_ARGUMENT);
  });
});

describe('aggregate kernel vs reference', () => {
  it('matches on random sparse portfolios', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const nInstr = rng.int(1, 50), nScen = rng.int(1, 40), stride = nScen + (nScen & 1);
      const cube = new Float64Array(nInstr * stride);
      for (let i = 0; i < nInstr; i++) for (let s = 0; s < nScen; s++) cube[i * stride + s] = rng.uniform(-1e4, 1e4);
      const nPos = rng.int(0, 60), nRows = rng.int(1, 5);
      const posInstr = Int32Array.from({ length: nPos }, () => rng.int(0, nInstr - 1));
      const posQty = Float64Array.from({ length: nPos }, () => rng.uniform(-100, 100));
      const posRow = Int32Array.from({ length: nPos }, () => rng.int(0, nRows - 1));
      const arena = new Arena(instantiateKernels());
      const out = arena.allocF64(nRows * stride);
      arena.f64(out, nRows * stride).fill(NaN);
      const status = arena.kernels.aggregate(arena.putF64(cube), stride, nScen, arena.putI32(posInstr), arena.putF64(posQty),
        arena.putI32(posRow), nPos, out, nRows);
      expect(status).toBe(STATUS_OK);
      const got = arena.f64(out, nRows * stride);
      const want = referenceAggregate(cube, stride, posInstr, posQty, posRow, nRows);
      const d = maxRelDiff(got, want, 1e-6);
      if (d.max > TOL) throw new Error(`trial ${trial}: cell ${d.at} got ${got[d.at]} want ${want[d.at]}`);
    }
  });

  it('adds each position in order, bit for bit as the twin, whatever the runs of equal rows (blocks of 4, 2, 1)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const nInstr = rng.int(1, 30), nScen = rng.int(1, 64), stride = nScen + (nScen & 1);
      const cube = Float64Array.from({ length: nInstr * stride }, (_, c) => ((c % stride) < nScen ? rng.normal() * 10 ** rng.int(-3, 6) : 0));
      const nRows = rng.int(1, 4);
      // Runs of 1 to 7 positions on the same row, so every block size and remainder occurs.
      const posRow: number[] = [];
      const target = rng.int(0, 40);
      while (posRow.length < target) {
        const row = rng.int(0, nRows - 1), run = rng.int(1, 7);
        for (let r = 0; r < run; r++) posRow.push(row);
      }
      const nPos = posRow.length;
      const posInstr = Int32Array.from({ length: nPos }, () => rng.int(0, nInstr - 1));
      const posQty = Float64Array.from({ length: nPos }, () => rng.normal() * 10 ** rng.int(-2, 4));
      const arena = new Arena(instantiateKernels());
      const out = arena.allocF64(nRows * stride);
      expect(arena.kernels.aggregate(arena.putF64(cube), stride, nScen, arena.putI32(posInstr), arena.putF64(posQty),
        arena.putI32(posRow), nPos, out, nRows)).toBe(STATUS_OK);
      const want = referenceAggregate(cube, stride, posInstr, posQty, posRow, nRows);
      expect(Array.from(arena.f64(out, nRows * stride))).toEqual(Array.from(want));
    }
  });

  it('rejects an odd stride and a row out of range', () => {
    const arena = new Arena(instantiateKernels());
    const cube = arena.putF64([1, 2, 3, 4]);
    const out = arena.allocF64(4);
    expect(arena.kernels.aggregate(cube, 3, 3, arena.putI32([0]), arena.putF64([1]), arena.putI32([0]), 1, out, 1)).toBe(STATUS_BAD_ARGUMENT);
    expect(arena.kernels.aggregate(cube, 2, 2, arena.putI32([0]), arena.putF64([1]), arena.putI32([1]), 1, out, 1)).toBe(STATUS_BAD_ARGUMENT);
  });
});

describe('gridReduce kernel vs reference', () => {
  it('matches on random per-underlying P&L, covers, groups and offsets', () => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 500; trial++) {
      const nPoints = rng.int(1, 12);
      const scenPoint: number[] = [];
      for (let j = 0; j < nPoints; j++) for (let k = rng.int(1, 3); k > 0; k--) scenPoint.push(j);
      const nScen = scenPoint.length, stride = nScen + (nScen & 1);
      while (scenPoint.length < stride) scenPoint.push(nPoints - 1);
      const nRows = rng.int(1, 6), nGroups = rng.int(1, nRows);
      const rowGroup = Int32Array.from({ length: nRows }, (_, r) => (r < nGroups ? r : rng.int(0, nGroups - 1)));
      const offsets = Float64Array.from({ length: nGroups }, () => rng.pick([0, 1, rng.next()]));
      const cover = Float64Array.from({ length: nPoints }, () => rng.pick([1, 0.35, rng.uniform(0.1, 2)]));
      const pnl = new Float64Array(nRows * stride);
      for (let r = 0; r < nRows; r++) for (let s = 0; s < nScen; s++) pnl[r * stride + s] = rng.uniform(-1e5, 1e5);
      const arena = new Arena(instantiateKernels());
      const outLen = 2 * nGroups + nGroups * nPoints + nRows * nPoints;
      const out = arena.allocF64(outLen);
      const status = arena.kernels.gridReduce(arena.putF64(pnl), stride, nRows, arena.putI32(rowGroup), nGroups,
        arena.putF64(offsets), arena.putI32(scenPoint), nScen, arena.putF64(cover), nPoints, out);
      expect(status).toBe(STATUS_OK);
      const got = arena.f64(out, outLen);
      const want = referenceGridReduce(pnl, stride, nRows, rowGroup, offsets, scenPoint, nScen, cover);
      const flat = [...want.R, ...want.worst, ...want.N.flat(), ...want.L.flat()];
      const d = maxRelDiff(got, flat, 1e-6);
      if (d.max > TOL) throw new Error(`trial ${trial}: out[${d.at}] got ${got[d.at]} want ${flat[d.at]}`);
    }
  });
});
