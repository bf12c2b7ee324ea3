/**
 * The SIMD kernels the host calls (assembly/revalue-simd.ts exported as `revalue`,
 * assembly/valuation-simd.ts as `valueInstruments`) and the vector normal distribution they use
 * (assembly/normal.ts, normCdf2 and normPdf2), against:
 * - the mpmath fixture of test/normal.test.ts, with the same tolerances (1e-14 relative where the
 *   exact value is a normal double, 4 * 2^-1074 absolute on subnormal values);
 * - the plain-TypeScript twins (src/reference), within 1e-9 relative as every kernel test;
 * - the scalar kernels (`revalueScalar`, `valueInstrumentsScalar`) and the scalar bsmPrice, which
 *   compute the same formulas with scalar exp, log and normal CDF: within 1e-12 relative;
 * a cube cell (an option's P&L, a difference of two prices) measured against the gross terms of
 * the two BSM prices, e^{-rT} (F N(d1) + K N(d2)) for a call (see `gross`): far out of the money,
 * with a small vol sqrt T, a price is a tiny difference of these terms and every implementation
 * rounds at their scale (this generator draws such options; the relative difference of such
 * prices themselves reaches 1e-9 against the twin and 1e-11 against the scalar kernel);
 * and for the properties the host relies on: bit-identical cells whatever the split of rows or the
 * pairing of scenarios in lanes, exactly zero P&L in the unmoved scenario, nothing written on a
 * bad argument.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instantiateKernels, type KernelExports } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import {
  NCOLS, NGREEKS, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U,
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, OUT_VALUE, STATUS_OK, STATUS_BAD_ARGUMENT,
} from '../src/layout.js';
import { referenceRevalue } from '../src/reference/cube.js';
import { bsmPriceRef, referenceValue } from '../src/reference/valuation.js';
import { normCdfRef } from '../src/reference/normal.js';
import { Rng } from './helpers/random.js';

const kernels = instantiateKernels();
const arena = new Arena(kernels);
type Revalue = KernelExports['revalue'];
type Value = KernelExports['valueInstruments'];
const revalueSimd = kernels.revalue;
const revalueScalar = kernels.revalueScalar as Revalue;
const valueSimd = kernels.valueInstruments;
const valueScalar = kernels.valueInstrumentsScalar as Value;
const vmathMap = kernels.vmathMap as (op: number, x: number, n: number, out: number) => number;
const bsmPriceLane = kernels.bsmPrice as (c: number, S: number, K: number, T: number, r: number, q: number, v: number) => number;
const bsmPriceScalar = kernels.bsmPriceScalar as typeof bsmPriceLane;

const TWIN_TOL = 1e-9;
const SCALAR_TOL = 1e-12;

function map(op: number, xs: ArrayLike<number>): Float64Array {
  const mark = arena.mark();
  try {
    const x = arena.putF64(xs);
    const out = arena.allocF64(xs.length);
    expect(vmathMap(op, x, xs.length, out)).toBe(STATUS_OK);
    return arena.f64(out, xs.length).slice();
  } finally {
    arena.release(mark);
  }
}

describe('vector normal distribution (normCdf2, normPdf2) against mpmath', () => {
  interface Fixture { rows: [number, number, number][] }
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/normal.json', import.meta.url), 'utf8')) as Fixture;
  const xs = fixture.rows.map((r) => r[0]);
  const MIN_NORMAL = 2.2250738585072014e-308;

  for (const [name, op, c] of [['normCdf2', 2, 1], ['normPdf2', 3, 2]] as const) {
    it(`${name}: within 1e-14 relative (4 * 2^-1074 absolute on subnormal values) at ${xs.length} points`, () => {
      // Each point on both lanes of a pair with every other point: the fixture order and its reverse.
      for (const order of [xs, [...xs].reverse()]) {
        const got = map(op, order);
        let maxRel = 0, maxAbs = 0;
        const bad: string[] = [];
        order.forEach((x, i) => {
          const exact = fixture.rows[order === xs ? i : xs.length - 1 - i][c];
          if (exact >= MIN_NORMAL) {
            const rel = Math.abs(got[i] - exact) / exact;
            maxRel = Math.max(maxRel, rel);
            if (!(rel <= 1e-14)) bad.push(`x=${x}: got ${got[i]}, exact ${exact}, relative error ${rel}`);
          } else {
            const abs = Math.abs(got[i] - exact);
            maxAbs = Math.max(maxAbs, abs);
            if (!(abs <= 4 * 5e-324)) bad.push(`x=${x}: got ${got[i]}, exact ${exact}, absolute error ${abs}`);
          }
        });
        expect(bad.slice(0, 10), `${bad.length} points out of tolerance`).toEqual([]);
        if (order === xs) console.log(`${name}: max relative error ${maxRel.toExponential(3)}, max absolute error on subnormal values ${maxAbs}`);
      }
    });
  }

  it('normCdf2: special values, symmetry N(x) + N(-x) = 1 within 3e-16, monotone on the fixture grid', () => {
    const special = [0, -0, NaN, Infinity, -Infinity, -39, -1e300, 1e300, 9, -38.4];
    const got = map(2, special);
    expect(got[0]).toBe(0.5);
    expect(got[1]).toBe(0.5);
    expect(got[2]).toBeNaN();
    expect([got[3], got[4], got[5], got[6], got[7], got[8]]).toEqual([1, 0, 0, 0, 1, 1]);
    expect(got[9]).toBeGreaterThan(0);
    const pdf = map(3, [0, NaN, Infinity, -Infinity, 1e300]);
    expect(pdf[0]).toBe(1 / Math.sqrt(2 * Math.PI));
    expect(pdf[1]).toBeNaN();
    expect([pdf[2], pdf[3], pdf[4]]).toEqual([0, 0, 0]);
    const up = map(2, xs), down = map(2, xs.map((x) => -x));
    xs.forEach((x, i) => {
      expect(Math.abs(up[i] + down[i] - 1), `x=${x}`).toBeLessThanOrEqual(3e-16);
      if (i > 0) expect(up[i], `between ${xs[i - 1]} and ${x}`).toBeGreaterThanOrEqual(up[i - 1]);
    });
  });

  it('normCdf2 agrees with the scalar normCdf and the series/continued-fraction reference on 100,000 random points', () => {
    const rng = new Rng(11);
    const pts = Float64Array.from({ length: 100_000 }, () => rng.uniform(-37, 9));
    const vec = map(2, pts), sca = map(6, pts);
    let worst = 0;
    pts.forEach((x, i) => {
      const ref = normCdfRef(x);
      const rel = Math.abs(vec[i] - ref) / ref;
      if (!(rel <= 1e-14)) throw new Error(`x=${x}: normCdf2 ${vec[i]}, reference ${ref}, scalar ${sca[i]}`);
      worst = Math.max(worst, Math.abs(vec[i] - sca[i]) / sca[i]);
    });
    console.log(`normCdf2 vs scalar normCdf: max relative difference ${worst.toExponential(3)}`);
    expect(worst).toBeLessThanOrEqual(1e-14);
  });
});

// ---------------------------------------------------------------------------------------------
// The revaluation kernel.
// ---------------------------------------------------------------------------------------------

interface Case {
  n: number; nU: number; nScen: number; stride: number; h: number;
  table: Float64Array; spotMult: Float64Array; volShock: Float64Array; volWeight: Float64Array;
}

/** A random market: instruments of every kind, some options expired or expiring within the horizon. */
function randomCase(rng: Rng, opts: { maxN?: number; maxScen?: number; sorted?: boolean } = {}): Case {
  const nU = rng.int(1, 4);
  const n = rng.int(1, opts.maxN ?? 30);
  const nScen = rng.int(1, opts.maxScen ?? 25);
  const stride = rng.pick([nScen, nScen + (nScen & 1), nScen + 3]);
  const h = rng.pick([0, 1 / 365, 2 / 365, 0.1]);
  const spots = Array.from({ length: nU }, () => rng.uniform(1, 100000));
  const us = Array.from({ length: n }, () => rng.int(0, nU - 1));
  if (opts.sorted) us.sort((a, b) => a - b);
  const t = new Float64Array(NCOLS * n);
  for (let i = 0; i < n; i++) {
    const u = us[i];
    const kind = rng.pick([KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, KIND_CALL, KIND_PUT, KIND_CALL, KIND_PUT]);
    const S = spots[u];
    const option = kind >= KIND_CALL;
    t[COL_KIND * n + i] = kind;
    t[COL_S * n + i] = S;
    t[COL_K * n + i] = option ? S * rng.uniform(0.3, 2.5) : 0;
    t[COL_T * n + i] = option ? rng.pick([rng.uniform(-0.02, 2), rng.uniform(0, 0.02), 5]) : 0;
    t[COL_R * n + i] = rng.uniform(-0.01, 0.08);
    t[COL_Q * n + i] = rng.uniform(0, 0.05);
    t[COL_VOL * n + i] = option ? rng.uniform(0.02, 2) : 0;
    t[COL_CS * n + i] = rng.pick([1, 0.1, 10, 100]);
    t[COL_F * n + i] = kind === KIND_LINEAR ? S * rng.uniform(0.95, 1.05) : 0;
    t[COL_U * n + i] = u;
  }
  const spotMult = new Float64Array(nU * stride).fill(1);
  const volShock = new Float64Array(nU * stride);
  for (let u = 0; u < nU; u++) {
    for (let s = 0; s < nScen; s++) {
      spotMult[u * stride + s] = rng.next() < 0.1 ? 1 : Math.exp(rng.uniform(-0.7, 0.7));
      volShock[u * stride + s] = rng.next() < 0.2 ? 0 : rng.uniform(-0.5, 0.5);
    }
  }
  const volWeight = Float64Array.from({ length: n }, () => rng.uniform(0.2, 1.8));
  return { n, nU, nScen, stride, h, table: t, spotMult, volShock, volWeight };
}

/** Runs a revalue kernel on a case, over the given row ranges; returns the cube (NaN where unwritten). */
function runCube(k: Revalue, c: Case, ranges: [number, number][] = [[0, c.n]]): Float64Array {
  const mark = arena.mark();
  try {
    const cube = arena.allocF64(c.n * c.stride);
    arena.f64(cube, c.n * c.stride).fill(NaN);
    const t = arena.putF64(c.table), m = arena.putF64(c.spotMult), v = arena.putF64(c.volShock), w = arena.putF64(c.volWeight);
    for (const [first, count] of ranges) {
      expect(k(t, c.n, first, count, m, c.nU, v, w, c.h, c.nScen, c.stride, cube)).toBe(STATUS_OK);
    }
    return arena.f64(cube, c.n * c.stride).slice();
  } finally {
    arena.release(mark);
  }
}

/**
 * The gross size of the BSM formula, e^{-rT} (F N(+-d1) + K N(+-d2)): the price is the difference
 * of these two terms, and where it is much smaller (far out of the money, small vol sqrt T) its
 * rounding is a fraction of them, not of the price. For T <= 0 or vol sqrt T <= 0 the intrinsic
 * value's terms S + K.
 */
function gross(call: boolean, S: number, K: number, T: number, r: number, q: number, vol: number): number {
  const sd = vol * Math.sqrt(T);
  if (!(T > 0) || !(sd > 0)) return S + K;
  const F = S * Math.exp((r - q) * T);
  const d1 = (Math.log(F / K) + 0.5 * sd * sd) / sd, d2 = d1 - sd, w = call ? 1 : -1;
  return Math.exp(-r * T) * (F * normCdfRef(w * d1) + K * normCdfRef(w * d2));
}

/** cs * (gross(S m) + gross(S)) per option cell (0 for linear ones): the scale a P&L is measured against. */
function grossScale(c: Case): Float64Array {
  const { n, stride, table: t } = c;
  const scale = new Float64Array(n * stride);
  for (let i = 0; i < n; i++) {
    const at = (col: number) => t[col * n + i];
    if (at(COL_KIND) < KIND_CALL) continue;
    const call = at(COL_KIND) === KIND_CALL, u = at(COL_U);
    const g0 = gross(call, at(COL_S), at(COL_K), at(COL_T), at(COL_R), at(COL_Q), at(COL_VOL));
    for (let s = 0; s < c.nScen; s++) {
      const g1 = gross(call, at(COL_S) * c.spotMult[u * stride + s], at(COL_K), at(COL_T) - c.h, at(COL_R), at(COL_Q),
        at(COL_VOL) * (1 + c.volShock[u * stride + s] * c.volWeight[i]));
      scale[i * stride + s] = at(COL_CS) * (g0 + g1);
    }
  }
  return scale;
}

function describeCell(c: Case, cell: number): string {
  const i = Math.floor(cell / c.stride), s = cell % c.stride;
  const row = Array.from({ length: NCOLS }, (_, col) => c.table[col * c.n + i]);
  const u = row[COL_U];
  return `row ${i} [kind,S,K,T,r,q,vol,cs,F,u]=[${row.join(',')}] scenario ${s}: m=${c.spotMult[u * c.stride + s]} ` +
    `dv=${c.volShock[u * c.stride + s]} w=${c.volWeight[i]} h=${c.h} (n=${c.n}, nScen=${c.nScen}, stride=${c.stride})`;
}

/** Largest |got - want| / max(|want|, scale); throws naming the cell when above tol. */
function compareCube(c: Case, got: Float64Array, want: Float64Array, scale: Float64Array, tol: number, what: string): number {
  let worst = 0;
  for (let i = 0; i < c.n; i++) {
    for (let s = 0; s < c.nScen; s++) {
      const cell = i * c.stride + s;
      const err = Math.abs(got[cell] - want[cell]) / Math.max(Math.abs(want[cell]), scale[cell], 1e-300);
      if (!(err <= tol)) throw new Error(`${what}: got ${got[cell]} want ${want[cell]} (error ${err}) at ${describeCell(c, cell)}`);
      worst = Math.max(worst, err);
    }
    for (let s = c.nScen; s < c.stride; s++) expect(got[i * c.stride + s], `${what}: padding of row ${i}`).toBe(0);
  }
  return worst;
}

describe('revalue (SIMD) against the twin and the scalar kernel', () => {
  it(`300 random markets: within ${TWIN_TOL} of the twin and ${SCALAR_TOL} of revalueScalar`, () => {
    const rng = new Rng(20261122);
    let worstTwin = 0, worstScalar = 0, cells = 0;
    for (let trial = 0; trial < 300; trial++) {
      const c = randomCase(rng, { sorted: trial % 2 === 0 });
      const got = runCube(revalueSimd, c);
      const scale = grossScale(c);
      const twin = referenceRevalue(c.table, c.n, c.spotMult, c.volShock, c.volWeight, c.h, c.nScen, c.stride);
      worstTwin = Math.max(worstTwin, compareCube(c, got, twin, scale, TWIN_TOL, `trial ${trial} vs twin`));
      worstScalar = Math.max(worstScalar, compareCube(c, got, runCube(revalueScalar, c), scale, SCALAR_TOL, `trial ${trial} vs scalar`));
      cells += c.n * c.nScen;
    }
    console.log(`revalue SIMD: ${cells} cells, max relative difference vs twin ${worstTwin.toExponential(2)}, vs scalar kernel ${worstScalar.toExponential(2)}`);
    expect(cells).toBeGreaterThan(20_000);
  });

  it('several scenario blocks (up to 2,100 scenarios, odd and even counts) agree with the scalar kernel', () => {
    const rng = new Rng(5);
    let worst = 0;
    for (let trial = 0; trial < 12; trial++) {
      const c = randomCase(rng, { maxN: 12, maxScen: 2100, sorted: trial % 3 !== 0 });
      worst = Math.max(worst, compareCube(c, runCube(revalueSimd, c), runCube(revalueScalar, c), grossScale(c), SCALAR_TOL, `trial ${trial}`));
    }
    console.log(`revalue SIMD over several blocks: max relative difference vs scalar kernel ${worst.toExponential(2)}`);
  });
});

describe('revalue (SIMD): properties the host relies on', () => {
  function sameBits(a: Float64Array, b: Float64Array, what: string): void {
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${what}: element ${i} is ${a[i]} and ${b[i]}`);
  }

  it('the cube is bit for bit the same whatever the split of rows between calls', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 100; trial++) {
      const c = randomCase(rng, { sorted: trial % 2 === 0, maxScen: trial < 10 ? 1200 : 25 });
      const whole = runCube(revalueSimd, c);
      const a = rng.int(0, c.n), b = rng.int(a, c.n);
      // Later ranges first: a run of options on one underlying is cut differently.
      sameBits(whole, runCube(revalueSimd, c, [[b, c.n - b], [0, a], [a, b - a]]), `trial ${trial}, split at ${a} and ${b}`);
    }
  });

  it('a cell does not depend on the scenario it shares a lane pair with (scenarios shifted by one)', () => {
    const rng = new Rng(19);
    for (let trial = 0; trial < 60; trial++) {
      const c = randomCase(rng, { maxScen: trial < 6 ? 1100 : 30 });
      if (c.nScen < 2) continue;
      const whole = runCube(revalueSimd, c);
      const mark = arena.mark();
      try {
        // The same rows of multipliers and shocks read from scenario 1 on: scenario s of this call is
        // scenario s + 1 of the first, paired with other neighbours.
        const cube = arena.allocF64(c.n * c.stride);
        const t = arena.putF64(c.table), m = arena.putF64(c.spotMult), v = arena.putF64(c.volShock), w = arena.putF64(c.volWeight);
        expect(revalueSimd(t, c.n, 0, c.n, m + 8, c.nU, v + 8, w, c.h, c.nScen - 1, c.stride, cube)).toBe(STATUS_OK);
        const shifted = arena.f64(cube, c.n * c.stride);
        for (let i = 0; i < c.n; i++) {
          for (let s = 1; s < c.nScen; s++) {
            const x = whole[i * c.stride + s], y = shifted[i * c.stride + s - 1];
            if (!Object.is(x, y)) throw new Error(`trial ${trial}: ${x} vs ${y} at ${describeCell(c, i * c.stride + s)}`);
          }
        }
      } finally {
        arena.release(mark);
      }
    }
  });

  it('the unmoved scenario (m = 1, no vol shock, h = 0) has exactly zero P&L: the kernel subtracts its own price', () => {
    const rng = new Rng(23);
    for (let trial = 0; trial < 50; trial++) {
      const c = randomCase(rng);
      c.h = 0;
      c.spotMult.fill(1);
      c.volShock.fill(0);
      const got = runCube(revalueSimd, c);
      for (let i = 0; i < c.n; i++) {
        for (let s = 0; s < c.nScen; s++) expect(got[i * c.stride + s], describeCell(c, i * c.stride + s)).toBe(0);
      }
    }
  });

  it('refuses bad arguments and then writes nothing', () => {
    const c = randomCase(new Rng(29), { maxN: 6 });
    const badTable = c.table.slice();
    badTable[COL_U * c.n + c.n - 1] = c.nU; // the last row names an underlying that does not exist
    const mark = arena.mark();
    try {
      const cube = arena.allocF64(c.n * c.stride);
      const view = () => arena.f64(cube, c.n * c.stride);
      view().fill(NaN);
      const t = arena.putF64(badTable), m = arena.putF64(c.spotMult), v = arena.putF64(c.volShock), w = arena.putF64(c.volWeight);
      expect(revalueSimd(t, c.n, 0, c.n, m, c.nU, v, w, c.h, c.nScen, c.stride, cube)).toBe(STATUS_BAD_ARGUMENT);
      expect(view().every(Number.isNaN)).toBe(true);
      expect(revalueSimd(t, c.n, 0, c.n - 1, m, c.nU, v, w, c.h, c.stride + 1, c.stride, cube)).toBe(STATUS_BAD_ARGUMENT);
      expect(view().every(Number.isNaN)).toBe(true);
      expect(revalueSimd(t, c.n, 0, c.n - 1, m, c.nU, v, w, c.h, c.nScen, c.stride, cube)).toBe(STATUS_OK);
      expect(revalueSimd(t, c.n, -1, 1, m, c.nU, v, w, c.h, c.nScen, c.stride, cube)).toBe(STATUS_BAD_ARGUMENT);
      expect(revalueSimd(t, c.n, 1, c.n, m, c.nU, v, w, c.h, c.nScen, c.stride, cube)).toBe(STATUS_BAD_ARGUMENT);
      expect(revalueSimd(t, c.n, 0, 0, m, c.nU, v, w, c.h, 0, 0, cube)).toBe(STATUS_OK);
    } finally {
      arena.release(mark);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The valuation kernel.
// ---------------------------------------------------------------------------------------------

describe('valueInstruments (SIMD) against the scalar kernel and the twin', () => {
  function runValue(k: Value, table: Float64Array, n: number): Float64Array {
    const mark = arena.mark();
    try {
      const t = arena.putF64(table);
      const out = arena.allocF64(NGREEKS * n + 2);
      const guard = arena.f64(out, NGREEKS * n + 2);
      guard.fill(NaN);
      expect(k(t, n, out)).toBe(STATUS_OK);
      const all = arena.f64(out, NGREEKS * n + 2);
      expect(Number.isNaN(all[NGREEKS * n]) && Number.isNaN(all[NGREEKS * n + 1]), 'nothing written past the output').toBe(true);
      return all.slice(0, NGREEKS * n);
    } finally {
      arena.release(mark);
    }
  }

  it('random tables (odd and even sizes, kinds mixed in every pair, degenerate options) agree', () => {
    const rng = new Rng(31);
    let worstScalar = 0, worstTwin = 0, count = 0;
    for (let trial = 0; trial < 200; trial++) {
      const c = randomCase(rng, { maxN: 41 });
      const n = c.n, t = c.table;
      // Degenerate options: vol 0, S = 0, K = S at expiry.
      for (let i = 0; i < n; i++) {
        if (t[COL_KIND * n + i] < KIND_CALL || rng.next() > 0.1) continue;
        const what = rng.int(0, 2);
        if (what === 0) t[COL_VOL * n + i] = 0;
        else if (what === 1) t[COL_S * n + i] = 0;
        else { t[COL_T * n + i] = 0; t[COL_K * n + i] = t[COL_S * n + i]; }
      }
      const simd = runValue(valueSimd, t, n), scalar = runValue(valueScalar, t, n), twin = referenceValue(t, n);
      for (let col = 0; col < NGREEKS; col++) {
        let big = 0;
        for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(scalar[col * n + i]));
        for (let i = 0; i < n; i++) {
          const k = col * n + i;
          // Relative to the value, or to 1e-6 of the column's largest magnitude (a greek of a far
          // option can be a tiny difference of large terms).
          const den = Math.max(Math.abs(scalar[k]), 1e-6 * big, 1e-300);
          const es = Math.abs(simd[k] - scalar[k]) / den, et = Math.abs(simd[k] - twin[k]) / Math.max(Math.abs(twin[k]), 1e-6 * big, 1e-300);
          const row = Array.from({ length: NCOLS }, (_, cc) => t[cc * n + i]).join(',');
          if (!(es <= SCALAR_TOL) && !Object.is(simd[k], scalar[k])) throw new Error(`trial ${trial} column ${col} row ${i} [${row}]: SIMD ${simd[k]} scalar ${scalar[k]}`);
          if (!(et <= TWIN_TOL) && !Object.is(simd[k], twin[k])) throw new Error(`trial ${trial} column ${col} row ${i} [${row}]: SIMD ${simd[k]} twin ${twin[k]}`);
          if (Number.isFinite(es)) worstScalar = Math.max(worstScalar, es);
          if (Number.isFinite(et)) worstTwin = Math.max(worstTwin, et);
        }
      }
      // An option's value is cs times the module's bsmPrice, bit for bit.
      for (let i = 0; i < n; i++) {
        const kind = t[COL_KIND * n + i];
        if (kind !== KIND_CALL && kind !== KIND_PUT) continue;
        const p = bsmPriceLane(kind === KIND_CALL ? 1 : 0, t[COL_S * n + i], t[COL_K * n + i], t[COL_T * n + i], t[COL_R * n + i],
          t[COL_Q * n + i], t[COL_VOL * n + i]);
        expect(Object.is(simd[OUT_VALUE * n + i], t[COL_CS * n + i] * p), `row ${i}`).toBe(true);
      }
      count += n;
    }
    console.log(`valueInstruments SIMD: ${count} instruments, max relative difference vs scalar kernel ${worstScalar.toExponential(2)}, vs twin ${worstTwin.toExponential(2)}`);
  });

  it(`the lane price (exported bsmPrice) and the scalar price agree within ${SCALAR_TOL} of the formula's gross terms`, () => {
    const rng = new Rng(37);
    let worst = 0;
    for (let i = 0; i < 20_000; i++) {
      const S = 100 * Math.exp(rng.uniform(-3, 3)), K = 100 * Math.exp(rng.uniform(-3, 3));
      const args = [rng.next() < 0.5 ? 1 : 0, S, K, rng.uniform(-0.1, 3), rng.uniform(-0.02, 0.1), rng.uniform(0, 0.06), rng.uniform(0, 2)] as const;
      const a = bsmPriceLane(...args), b = bsmPriceScalar(...args);
      const err = Math.abs(a - b) / Math.max(Math.abs(b), gross(args[0] === 1, S, K, args[3], args[4], args[5], args[6]));
      if (!(err <= SCALAR_TOL) && a !== b) throw new Error(`bsmPrice(${args.join(', ')}): lane ${a}, scalar ${b}`);
      if (a !== b) worst = Math.max(worst, err);
    }
    console.log(`bsmPrice lane vs scalar: max relative difference ${worst.toExponential(2)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// GridModel.margin resolves positions into reused arrays (the latency work of the benchmark
// issue); it must give what resolvePositions + marginResolved give, errors included.
// ---------------------------------------------------------------------------------------------

describe('GridModel.margin with reused position arrays', () => {
  it('equals resolvePositions + marginResolved for portfolios growing past every capacity, duplicates and bad rows included', async () => {
    const { readFileSync: read } = await import('node:fs');
    const { resolveMarket } = await import('../src/market/load.js');
    const { createGridModel } = await import('../src/models/grid.js');
    const { positionsProblem, resolvePositions } = await import('../src/portfolio/resolve.js');
    const market = resolveMarket(JSON.parse(read(new URL('../examples/market.json', import.meta.url), 'utf8')), 'market.json');
    const model = createGridModel(market);
    const ids = market.instruments.ids;
    const rng = new Rng(41);
    const b = model.newBreakdown();
    const sizes = [1, 5, 16, 17, 3, 40, 33, 100, 250, 2, 251, 600];
    for (let trial = 0; trial < 200; trial++) {
      const size = trial < sizes.length ? sizes[trial] : rng.int(1, 300);
      const positions: { instrument: unknown; quantity: unknown }[] = [];
      for (let p = 0; p < size; p++) {
        // Repeats (netted), and now and then a bad row.
        const id = rng.next() < 0.2 && positions.length ? positions[rng.int(0, positions.length - 1)].instrument : rng.pick(ids);
        positions.push({ instrument: id, quantity: rng.int(-20, 20) + rng.next() });
      }
      if (trial % 10 === 9) {
        const at = rng.int(0, size - 1);
        positions[at] = rng.pick([{ instrument: 'NOPE', quantity: 1 }, { instrument: ids[0], quantity: NaN },
          { instrument: 7, quantity: 1 }, { instrument: ids[1], quantity: '3' }]);
      }
      const p = { id: `P${trial}`, positions: positions as { instrument: string; quantity: number }[] };
      const got = model.margin(p);
      // A malformed position (instrument not a string, quantity not finite) is E_PORTFOLIO, checked
      // before the instruments; only an instrument the market lacks is E_UNKNOWN_INSTRUMENT.
      const malformed = positionsProblem(p.positions);
      if (malformed !== undefined) {
        expect(got).toEqual({ ok: false, portfolio: p.id, method: 'grid', code: 'E_PORTFOLIO', message: malformed });
        continue;
      }
      const resolved = resolvePositions(market, p.positions);
      if (typeof resolved === 'string') {
        expect(got).toEqual({ ok: false, portfolio: p.id, method: 'grid', code: 'E_UNKNOWN_INSTRUMENT', message: resolved });
        continue;
      }
      expect(model.marginResolved(resolved.instr, resolved.qty, 0, resolved.instr.length, b)).toBeUndefined();
      if (!got.ok) throw new Error(`trial ${trial}: ${got.message}`);
      expect(Object.is(got.initialMargin, b.initialMargin), `trial ${trial} (${size} positions)`).toBe(true);
    }
  });
});
