/**
 * Black-76 (docs/pricing.md section 1): the kernel black76Instruments through its host wrapper
 * black76Table, the exported scalar black76Price, and the plain-TypeScript twin
 * src/reference/black76.ts; against Haug's published values, against generalised BSM with q = r,
 * and every sensitivity against bump-and-revalue.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { valueTable } from '../src/kernels/valuation.js';
import {
  black76Table, PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE, STATUS_ROW_ERRORS,
} from '../src/kernels/pricing.js';
import { black76GreeksRef } from '../src/reference/black76.js';
import type { Greeks } from '../src/reference/valuation.js';
import {
  KIND_CALL, KIND_PUT, KIND_SPOT, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F,
  NCOLS, OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
} from '../src/layout.js';
import { Rng } from './helpers/random.js';

const kernels = instantiateKernels();
const arena = new Arena(kernels);
const wasmBlack76 = kernels.black76Price as (isCall: number, F: number, K: number, T: number, r: number, vol: number) => number;

interface Opt { isCall: boolean; F: number; K: number; T: number; r: number; vol: number; cs?: number }

/** An instrument table of options on futures: the future's price in COL_F (COL_S left 0). */
function table(xs: readonly Opt[], kind?: number): Float64Array {
  const n = xs.length;
  const t = new Float64Array(NCOLS * n);
  xs.forEach((x, i) => {
    t[COL_KIND * n + i] = kind ?? (x.isCall ? KIND_CALL : KIND_PUT);
    t[COL_F * n + i] = x.F;
    t[COL_K * n + i] = x.K;
    t[COL_T * n + i] = x.T;
    t[COL_R * n + i] = x.r;
    t[COL_VOL * n + i] = x.vol;
    t[COL_CS * n + i] = x.cs ?? 1;
  });
  return t;
}

/** Kernel Greeks per option, and the row statuses. */
function kernel(xs: readonly Opt[]): { g: Greeks[]; rowStatus: Int32Array } {
  const n = xs.length;
  const { values: v, rowStatus } = black76Table(arena, table(xs), n);
  const g = xs.map((_, i) => ({
    value: v[OUT_VALUE * n + i]!, delta: v[OUT_DELTA * n + i]!, gamma: v[OUT_GAMMA * n + i]!,
    vega: v[OUT_VEGA * n + i]!, theta: v[OUT_THETA * n + i]!,
  }));
  return { g, rowStatus };
}

const price = (o: Opt, F = o.F, T = o.T, vol = o.vol): number => wasmBlack76(o.isCall ? 1 : 0, F, o.K, T, o.r, vol);

// ---------------------------------------------------------------------------------------------
// Published values. E. G. Haug, The Complete Guide to Option Pricing Formulas, 2nd ed.,
// McGraw-Hill 2007, section 1.1.3 "Options on futures", pp. 4-5: the Brent Blend example
// (F = 19, K = 19, T = 0.75, r = 0.10, vol = 0.28; call = put = 1.7011). And the European values of
// Haug's American-approximation tables (1st ed., McGraw-Hill 1998, p. 24; QuantLib's
// test-suite/europeanoption.cpp uses them, as rows with q = r, i.e. cost of carry b = 0: the Black
// (1976) model, whose underlying there is a futures price); and the delta and elasticity example of
// the 1st ed., p. 11 (same file), whose b = 0 makes it Black-76 too. 4 decimals; tolerance
// QuantLib's, 1e-4.
// ---------------------------------------------------------------------------------------------
const HAUG_TOL = 1e-4;
type Row = [right: 'call' | 'put', F: number, K: number, T: number, vol: number, value: number];
const R = 0.10;
const HAUG: Row[] = [
  ['call', 19, 19, 0.75, 0.28, 1.7011], ['put', 19, 19, 0.75, 0.28, 1.7011],
  ['call', 90, 100, 0.10, 0.15, 0.0205], ['call', 100, 100, 0.10, 0.15, 1.8734], ['call', 110, 100, 0.10, 0.15, 9.9413],
  ['call', 90, 100, 0.10, 0.25, 0.3150], ['call', 100, 100, 0.10, 0.25, 3.1217], ['call', 110, 100, 0.10, 0.25, 10.3556],
  ['call', 90, 100, 0.10, 0.35, 0.9474], ['call', 100, 100, 0.10, 0.35, 4.3693], ['call', 110, 100, 0.10, 0.35, 11.1381],
  ['call', 90, 100, 0.50, 0.15, 0.8069], ['call', 100, 100, 0.50, 0.15, 4.0232], ['call', 110, 100, 0.50, 0.15, 10.5769],
  ['call', 90, 100, 0.50, 0.25, 2.7026], ['call', 100, 100, 0.50, 0.25, 6.6997], ['call', 110, 100, 0.50, 0.25, 12.7857],
  ['call', 90, 100, 0.50, 0.35, 4.9329], ['call', 100, 100, 0.50, 0.35, 9.3679], ['call', 110, 100, 0.50, 0.35, 15.3086],
  ['put', 90, 100, 0.10, 0.15, 9.9210], ['put', 100, 100, 0.10, 0.15, 1.8734], ['put', 110, 100, 0.10, 0.15, 0.0408],
  ['put', 90, 100, 0.10, 0.25, 10.2155], ['put', 100, 100, 0.10, 0.25, 3.1217], ['put', 110, 100, 0.10, 0.25, 0.4551],
  ['put', 90, 100, 0.10, 0.35, 10.8479], ['put', 100, 100, 0.10, 0.35, 4.3693], ['put', 110, 100, 0.10, 0.35, 1.2376],
  ['put', 90, 100, 0.50, 0.15, 10.3192], ['put', 100, 100, 0.50, 0.15, 4.0232], ['put', 110, 100, 0.50, 0.15, 1.0646],
  ['put', 90, 100, 0.50, 0.25, 12.2149], ['put', 100, 100, 0.50, 0.25, 6.6997], ['put', 110, 100, 0.50, 0.25, 3.2734],
  ['put', 90, 100, 0.50, 0.35, 14.4452], ['put', 100, 100, 0.50, 0.35, 9.3679], ['put', 110, 100, 0.50, 0.35, 5.7963],
];

describe('Black-76: Haug published values', () => {
  it(`${HAUG.length} values within ${HAUG_TOL} (kernel, black76Price, twin)`, () => {
    const xs = HAUG.map(([right, F, K, T, vol]) => ({ isCall: right === 'call', F, K, T, r: R, vol }));
    const { g, rowStatus } = kernel(xs);
    let worst = 0;
    HAUG.forEach(([right, F, K, T, vol, expected], i) => {
      const msg = `${right} F=${F} K=${K} T=${T} vol=${vol}, published ${expected}`;
      const ref = black76GreeksRef(right === 'call', F, K, T, R, vol).value;
      expect(rowStatus[i], msg).toBe(PRICE_OK);
      expect(Math.abs(g[i]!.value - expected), `${msg}: kernel ${g[i]!.value}`).toBeLessThanOrEqual(HAUG_TOL);
      expect(Math.abs(ref - expected), `${msg}: twin ${ref}`).toBeLessThanOrEqual(HAUG_TOL);
      expect(price(xs[i]!), msg).toBe(g[i]!.value);
      worst = Math.max(worst, Math.abs(g[i]!.value - expected));
    });
    console.log(`Black-76 Haug values: ${HAUG.length} checked, max |kernel - published| = ${worst.toExponential(3)}`);
  });

  it('delta and elasticity (1st ed. p. 11, b = 0): F=105 K=100 T=0.5 r=0.10 vol=0.36', () => {
    const [call, put] = kernel([
      { isCall: true, F: 105, K: 100, T: 0.5, r: 0.1, vol: 0.36 },
      { isCall: false, F: 105, K: 100, T: 0.5, r: 0.1, vol: 0.36 },
    ]).g;
    expect(Math.abs(call!.delta - 0.5946)).toBeLessThanOrEqual(HAUG_TOL);
    expect(Math.abs(put!.delta - -0.3566)).toBeLessThanOrEqual(HAUG_TOL);
    expect(Math.abs(put!.delta * 105 / put!.value - -4.8775)).toBeLessThanOrEqual(HAUG_TOL);
  });
});

// ---------------------------------------------------------------------------------------------
// Random options on futures: short and long tenors, low and high vols, deep in and out of the money.
// ---------------------------------------------------------------------------------------------
function randomOpt(rng: Rng): Opt {
  const T = rng.pick([rng.uniform(1 / 365, 0.1), rng.uniform(0.1, 2), rng.uniform(2, 10)]);
  const vol = rng.pick([rng.uniform(0.02, 0.2), rng.uniform(0.2, 1), rng.uniform(1, 3)]);
  const F = rng.uniform(10, 100_000);
  const z = rng.uniform(-5, 5); // strike at z standard deviations
  const K = F * Math.exp(z * vol * Math.sqrt(T));
  return { isCall: rng.next() < 0.5, F, K, T, r: rng.uniform(-0.02, 0.15), vol };
}

describe('Black-76 equals generalised BSM with S = F and q = r', () => {
  it('10,000 random options: |black76 - bsm| <= 4e-15 |bsm| + 1e-16 scale (theta 1e-13 |bsm| + 1e-15 scale)', () => {
    // The BSM kernel is the SIMD one (its exp, log and normal CDF within an ulp and 1e-15 of the
    // scalar ones); its theta is decay - r K e^{-rT} N(d2) + q S e^{-qT} N(d1), Black-76's
    // decay + r V: the same number arranged differently, so it rounds differently where it cancels.
    const rng = new Rng(76);
    const xs = Array.from({ length: 10_000 }, () => randomOpt(rng));
    const n = xs.length;
    const { g } = kernel(xs);
    // The same options in the BSM kernel: spot S = F, yield q = r (so S e^{(r-q)T} = F exactly).
    const t = new Float64Array(NCOLS * n);
    xs.forEach((x, i) => {
      t[COL_KIND * n + i] = x.isCall ? KIND_CALL : KIND_PUT;
      t[COL_S * n + i] = x.F; t[COL_K * n + i] = x.K; t[COL_T * n + i] = x.T;
      t[COL_R * n + i] = x.r; t[COL_Q * n + i] = x.r; t[COL_VOL * n + i] = x.vol; t[COL_CS * n + i] = 1;
    });
    const b = valueTable(arena, t, n);
    const worst = { value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 };
    xs.forEach((x, i) => {
      // The scale of each: F for value, vega and theta, 1 for delta, 1/F for gamma.
      const cmp: [keyof typeof worst, number, number, number][] = [
        ['value', g[i]!.value, b[OUT_VALUE * n + i]!, x.F],
        ['delta', g[i]!.delta, b[OUT_DELTA * n + i]!, 1],
        ['gamma', g[i]!.gamma, b[OUT_GAMMA * n + i]!, 1 / x.F],
        ['vega', g[i]!.vega, b[OUT_VEGA * n + i]!, x.F],
        ['theta', g[i]!.theta, b[OUT_THETA * n + i]!, x.F],
      ];
      for (const [name, got, want, scale] of cmp) {
        const tol = name === 'theta' ? 1e-13 * Math.abs(want) + 1e-15 * scale : 4e-15 * Math.abs(want) + 1e-16 * scale;
        const d = Math.abs(got - want);
        worst[name] = Math.max(worst[name], d / tol);
        expect(d, `${name} ${JSON.stringify(x)}: black76 ${got}, bsm ${want}`).toBeLessThanOrEqual(tol);
      }
    });
    console.log(`Black-76 vs BSM(q = r), worst difference / tolerance: ${JSON.stringify(worst)}`);
  });
});

describe('Black-76 sensitivities against bump-and-revalue of black76Price', () => {
  it('delta, gamma (bump 1e-4 F vol sqrt T), vega (1e-4 vol), theta (1e-4 T): 1,000 random options', () => {
    // Central differences, each step a fixed fraction of the scale the price varies on (so the
    // truncation error O(h^2) is small uniformly) and rounding O(eps V / h) stays far below the
    // tolerance. Tolerances, relative to each greek's natural scale: delta 1e-7 e^{-rT}, gamma 1e-5
    // e^{-rT} / (F vol sqrt T), vega 1e-7 e^{-rT} F sqrt T, theta 1e-6 (e^{-rT} F vol / sqrt T + |r V|),
    // each plus the rounding bound of its difference quotient, c eps |V| / h (c eps |V| / h^2 for
    // gamma), which dominates deep in the money (V near e^{-rT} K, K far above F).
    const rng = new Rng(7601);
    const xs = Array.from({ length: 1000 }, () => randomOpt(rng)).filter((x) => x.T > 1e-3);
    const { g } = kernel(xs);
    const worst = { delta: 0, gamma: 0, vega: 0, theta: 0 };
    xs.forEach((x, i) => {
      const h = 1e-4 * x.F * x.vol * Math.sqrt(x.T), hv = 1e-4 * x.vol, ht = 1e-4 * x.T;
      const up = price(x, x.F + h), mid = price(x), dn = price(x, x.F - h);
      const df = Math.exp(-x.r * x.T);
      const sd = x.vol * Math.sqrt(x.T);
      const eV = Number.EPSILON * Math.abs(mid);
      const checks: [keyof typeof worst, number, number, number][] = [
        ['delta', g[i]!.delta, (up - dn) / (2 * h), 1e-7 * df + 4 * eV / h],
        ['gamma', g[i]!.gamma, (up - 2 * mid + dn) / (h * h), 1e-5 * df / (x.F * sd) + 8 * eV / (h * h)],
        ['vega', g[i]!.vega, (price(x, x.F, x.T, x.vol + hv) - price(x, x.F, x.T, x.vol - hv)) / (2 * hv), 1e-7 * df * x.F * Math.sqrt(x.T) + 4 * eV / hv],
        ['theta', g[i]!.theta, -(price(x, x.F, x.T + ht) - price(x, x.F, x.T - ht)) / (2 * ht), 1e-6 * (df * x.F * x.vol / Math.sqrt(x.T) + Math.abs(x.r * mid)) + 4 * eV / ht],
      ];
      for (const [name, analytic, bumped, tol] of checks) {
        const err = Math.abs(analytic - bumped);
        worst[name] = Math.max(worst[name], err / tol);
        expect(err, `${name} ${JSON.stringify(x)}: analytic ${analytic}, bumped ${bumped}`).toBeLessThanOrEqual(tol);
      }
    });
    console.log(`Black-76 bump-and-revalue, worst error / tolerance: ${JSON.stringify(worst)}`);
  });
});

describe('Black-76 kernel against its plain-TypeScript twin', () => {
  it('10,000 random options: |kernel - twin| <= 1e-13 |value| + 1e-15 scale, for the value and every sensitivity', () => {
    // The absolute term is a few ulps of the largest product in the formula (F N(d1) for the value),
    // which is what the two normal CDFs' last-bit differences become when the terms cancel (deep out
    // of the money).
    const rng = new Rng(7602);
    const xs = Array.from({ length: 10_000 }, () => ({ ...randomOpt(rng), cs: 1 }));
    const { g, rowStatus } = kernel(xs);
    let worst = 0;
    xs.forEach((x, i) => {
      expect(rowStatus[i]).toBe(PRICE_OK);
      const ref = black76GreeksRef(x.isCall, x.F, x.K, x.T, x.r, x.vol);
      const floors = { value: x.F, delta: 1, gamma: 1 / x.F, vega: x.F, theta: x.F };
      for (const k of ['value', 'delta', 'gamma', 'vega', 'theta'] as const) {
        const tol = 1e-13 * Math.abs(ref[k]) + 1e-15 * floors[k];
        const d = Math.abs(g[i]![k] - ref[k]);
        worst = Math.max(worst, d / tol);
        expect(d, `${k} ${JSON.stringify(x)}: kernel ${g[i]![k]}, twin ${ref[k]}`).toBeLessThanOrEqual(tol);
      }
    });
    console.log(`Black-76 kernel vs twin: worst difference / tolerance ${worst.toExponential(3)}`);
  });
});

describe('Black-76 degenerate inputs and errors', () => {
  it('T <= 0: intrinsic at F, undiscounted, delta of the payoff; vol = 0: discounted intrinsic, theta r V', () => {
    const { g } = kernel([
      { isCall: true, F: 110, K: 100, T: 0, r: 0.05, vol: 0.3, cs: 2 },
      { isCall: false, F: 100, K: 100, T: -1, r: 0.05, vol: 0.3 },
      { isCall: true, F: 110, K: 100, T: 1, r: 0.05, vol: 0 },
      { isCall: false, F: 90, K: 100, T: 2, r: 0.05, vol: 0 },
      { isCall: true, F: 90, K: 100, T: 2, r: 0.05, vol: 0 },
    ]);
    expect(g[0]).toEqual({ value: 20, delta: 2, gamma: 0, vega: 0, theta: 0 });
    expect(g[1]).toEqual({ value: 0, delta: -0.5, gamma: 0, vega: 0, theta: 0 });
    const d1 = Math.exp(-0.05), d2 = Math.exp(-0.1);
    expect(g[2]).toEqual({ value: d1 * 10, delta: d1, gamma: 0, vega: 0, theta: 0.05 * (d1 * 10) });
    expect(g[3]).toEqual({ value: d2 * 10, delta: -d2, gamma: 0, vega: 0, theta: 0.05 * (d2 * 10) });
    expect(g[4]).toEqual({ value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
  });

  it('F = 0: call 0, put K e^{-rT} with delta -e^{-rT}, gamma and vega 0', () => {
    const { g } = kernel([
      { isCall: true, F: 0, K: 100, T: 1, r: 0.05, vol: 0.3 },
      { isCall: false, F: 0, K: 100, T: 1, r: 0.05, vol: 0.3 },
    ]);
    const df = Math.exp(-0.05);
    expect(g[0]).toEqual({ value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
    expect(g[1]!.value).toBeCloseTo(100 * df, 12);
    expect(g[1]!.delta).toBeCloseTo(-df, 15);
    expect(g[1]!.gamma).toBe(0);
    expect(g[1]!.vega).toBe(0);
    expect(g[1]!.theta).toBeCloseTo(0.05 * 100 * df, 12);
  });

  it('a bad row gets its status and zeros; the rows around it are unaffected', () => {
    const good: Opt = { isCall: true, F: 100, K: 95, T: 0.5, r: 0.03, vol: 0.4, cs: 10 };
    const bad: Opt[] = [
      { ...good, F: NaN }, { ...good, K: 0 }, { ...good, F: -1 }, { ...good, vol: -0.1 }, { ...good, T: Infinity },
      { ...good, r: NaN }, { ...good, cs: Infinity },
    ];
    const overflow: Opt = { ...good, r: -1000, T: 1 }; // e^{-rT} = e^1000 overflows
    const xs = [good, ...bad, overflow, good];
    const n = xs.length;
    const { values, rowStatus } = black76Table(arena, table(xs), n);
    const alone = black76Table(arena, table([good]), 1).values;
    expect(Array.from(rowStatus)).toEqual([PRICE_OK, ...bad.map(() => PRICE_BAD_INPUT), PRICE_NON_FINITE, PRICE_OK]);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 5; k++) {
        const v = values[k * n + i]!;
        expect(Number.isFinite(v)).toBe(true);
        if (rowStatus[i] !== PRICE_OK) expect(v).toBe(0);
        else expect(v).toBe(alone[k]!);
      }
    }
  });

  it('an instrument that is not an option is a host bug: E_INTERNAL', () => {
    expect(() => black76Table(arena, table([{ isCall: true, F: 1, K: 1, T: 1, r: 0, vol: 0.1 }], KIND_SPOT), 1))
      .toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
  });

  it('the module exports the same row status codes as src/kernels/pricing.ts', () => {
    for (const [name, v] of [['PRICE_OK', PRICE_OK], ['PRICE_BAD_INPUT', PRICE_BAD_INPUT],
      ['PRICE_NON_FINITE', PRICE_NON_FINITE], ['STATUS_ROW_ERRORS', STATUS_ROW_ERRORS]] as const) {
      expect((kernels[name] as WebAssembly.Global).value, name).toBe(v);
    }
  });
});
