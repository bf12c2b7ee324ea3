/**
 * Valuation (docs/methods.md §3, "The value of one contract"; the numbers of the `value` command):
 * the WebAssembly kernel valueInstruments through its host wrapper valueTable, the scalar
 * bsmPrice the revaluation kernels use, and the plain-TypeScript twin src/reference/valuation.ts.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { valueTable } from '../src/kernels/valuation.js';
import { bsmGreeksRef, bsmPriceRef, referenceValue, type Greeks } from '../src/reference/valuation.js';
import {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL,
  COL_CS, COL_F, COL_U, NCOLS, NGREEKS, OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
  STATUS_BAD_ARGUMENT,
} from '../src/layout.js';
import { Rng, maxRelDiff } from './helpers/random.js';

const kernels = instantiateKernels();
const arena = new Arena(kernels);
const wasmBsmPrice = kernels.bsmPrice as (
  isCall: number, S: number, K: number, T: number, r: number, q: number, vol: number) => number;

interface Instrument {
  kind: number; S: number; K?: number; T?: number; r?: number; q?: number; vol?: number; cs?: number; F?: number;
}

/** Builds an instrument table in kernel layout. */
function table(xs: readonly Instrument[]): Float64Array {
  const n = xs.length;
  const t = new Float64Array(NCOLS * n);
  xs.forEach((x, i) => {
    t[COL_KIND * n + i] = x.kind;
    t[COL_S * n + i] = x.S;
    t[COL_K * n + i] = x.K ?? 0;
    t[COL_T * n + i] = x.T ?? 0;
    t[COL_R * n + i] = x.r ?? 0;
    t[COL_Q * n + i] = x.q ?? 0;
    t[COL_VOL * n + i] = x.vol ?? 0;
    t[COL_CS * n + i] = x.cs ?? 1;
    t[COL_F * n + i] = x.F ?? 0;
    t[COL_U * n + i] = 0;
  });
  return t;
}

const GREEK_COLS = [
  ['value', OUT_VALUE], ['delta', OUT_DELTA], ['gamma', OUT_GAMMA], ['vega', OUT_VEGA], ['theta', OUT_THETA],
] as const;

/** Values a list of instruments with the kernel; one Greeks per instrument. */
function wasmValue(xs: readonly Instrument[]): Greeks[] {
  const n = xs.length;
  const out = valueTable(arena, table(xs), n);
  return xs.map((_, i) => ({
    value: out[OUT_VALUE * n + i]!, delta: out[OUT_DELTA * n + i]!, gamma: out[OUT_GAMMA * n + i]!,
    vega: out[OUT_VEGA * n + i]!, theta: out[OUT_THETA * n + i]!,
  }));
}

function option(isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number, cs = 1): Instrument {
  return { kind: isCall ? KIND_CALL : KIND_PUT, S, K, T, r, q, vol, cs };
}

// ---------------------------------------------------------------------------------------------
// Published values: E. G. Haug, "The Complete Guide to Option Pricing Formulas", McGraw-Hill 1998
// (cited in QuantLib's test-suite/europeanoption.cpp as "Option pricing formulas", Haug 1998).
// Inputs as there: spot S, strike K, continuous dividend yield q, continuous rate r, T in years,
// vol; values rounded to 4 decimals. Tolerance: QuantLib's, 1e-4 absolute. (Half a unit of the last
// digit, 5e-5, would be too tight: page 24's at-the-money call, T = 0.1, vol 0.15, is published as
// 1.8734 where the formula gives 1.873345.)
// ---------------------------------------------------------------------------------------------
const HAUG_TOL = 1e-4;
type HaugRow = [right: 'call' | 'put', K: number, S: number, q: number, r: number, T: number, vol: number, value: number];
const HAUG_VALUES: { page: string; rows: HaugRow[] }[] = [
  { page: 'pages 2-8', rows: [
    ['call', 65.00, 60.00, 0.00, 0.08, 0.25, 0.30, 2.1334],
    ['put', 95.00, 100.00, 0.05, 0.10, 0.50, 0.20, 2.4648],
    ['put', 19.00, 19.00, 0.10, 0.10, 0.75, 0.28, 1.7011],
    ['call', 19.00, 19.00, 0.10, 0.10, 0.75, 0.28, 1.7011],
    ['call', 1.60, 1.56, 0.08, 0.06, 0.50, 0.12, 0.0291],
    ['put', 70.00, 75.00, 0.05, 0.10, 0.50, 0.35, 4.0870],
  ] },
  { page: 'page 24', rows: [
    ['call', 100.00, 90.00, 0.10, 0.10, 0.10, 0.15, 0.0205],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.10, 0.15, 1.8734],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.10, 0.15, 9.9413],
    ['call', 100.00, 90.00, 0.10, 0.10, 0.10, 0.25, 0.3150],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.10, 0.25, 3.1217],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.10, 0.25, 10.3556],
    ['call', 100.00, 90.00, 0.10, 0.10, 0.10, 0.35, 0.9474],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.10, 0.35, 4.3693],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.10, 0.35, 11.1381],
    ['call', 100.00, 90.00, 0.10, 0.10, 0.50, 0.15, 0.8069],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.50, 0.15, 4.0232],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.50, 0.15, 10.5769],
    ['call', 100.00, 90.00, 0.10, 0.10, 0.50, 0.25, 2.7026],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.50, 0.25, 6.6997],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.50, 0.25, 12.7857],
    ['call', 100.00, 90.00, 0.10, 0.10, 0.50, 0.35, 4.9329],
    ['call', 100.00, 100.00, 0.10, 0.10, 0.50, 0.35, 9.3679],
    ['call', 100.00, 110.00, 0.10, 0.10, 0.50, 0.35, 15.3086],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.10, 0.15, 9.9210],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.10, 0.15, 1.8734],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.10, 0.15, 0.0408],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.10, 0.25, 10.2155],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.10, 0.25, 3.1217],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.10, 0.25, 0.4551],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.10, 0.35, 10.8479],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.10, 0.35, 4.3693],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.10, 0.35, 1.2376],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.50, 0.15, 10.3192],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.50, 0.15, 4.0232],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.50, 0.15, 1.0646],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.50, 0.25, 12.2149],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.50, 0.25, 6.6997],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.50, 0.25, 3.2734],
    ['put', 100.00, 90.00, 0.10, 0.10, 0.50, 0.35, 14.4452],
    ['put', 100.00, 100.00, 0.10, 0.10, 0.50, 0.35, 9.3679],
    ['put', 100.00, 110.00, 0.10, 0.10, 0.50, 0.35, 5.7963],
  ] },
  { page: 'page 27', rows: [
    ['call', 40.00, 42.00, 0.08, 0.04, 0.75, 0.35, 5.0975],
  ] },
];

/** Haug 1998, pages 11-16: sensitivities, 4 decimals. */
type HaugGreek = 'delta' | 'elasticity' | 'gamma' | 'vega' | 'theta' | 'thetaPerDay' | 'rho' | 'dividendRho';
const HAUG_GREEKS: [HaugGreek, ...HaugRow][] = [
  ['delta', 'call', 100.00, 105.00, 0.10, 0.10, 0.5, 0.36, 0.5946],
  ['delta', 'put', 100.00, 105.00, 0.10, 0.10, 0.5, 0.36, -0.3566],
  ['elasticity', 'put', 100.00, 105.00, 0.10, 0.10, 0.5, 0.36, -4.8775],
  ['gamma', 'call', 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 0.0278],
  ['gamma', 'put', 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 0.0278],
  ['vega', 'call', 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 18.9358],
  ['vega', 'put', 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 18.9358],
  ['theta', 'put', 405.00, 430.00, 0.05, 0.07, 1 / 12, 0.20, -31.1924],
  ['thetaPerDay', 'put', 405.00, 430.00, 0.05, 0.07, 1 / 12, 0.20, -0.0855],
  ['rho', 'call', 75.00, 72.00, 0.00, 0.09, 1.0, 0.19, 38.7325],
  ['dividendRho', 'put', 490.00, 500.00, 0.05, 0.08, 0.25, 0.15, 42.2254],
];

describe('Haug (1998) published values', () => {
  const all = HAUG_VALUES.flatMap(({ page, rows }) => rows.map((row) => ({ page, row })));

  it(`${all.length} option values within ${HAUG_TOL} (kernel, scalar bsmPrice and reference)`, () => {
    expect(all.length).toBe(43);
    const xs = all.map(({ row: [right, K, S, q, r, T, vol] }) => option(right === 'call', S, K, T, r, q, vol));
    const got = wasmValue(xs);
    let worst = 0;
    all.forEach(({ page, row }, i) => {
      const [right, K, S, q, r, T, vol, expected] = row;
      const msg = `Haug ${page}: ${right} K=${K} S=${S} q=${q} r=${r} T=${T} vol=${vol}, published ${expected}`;
      const kernel = got[i]!.value;
      const scalar = wasmBsmPrice(right === 'call' ? 1 : 0, S, K, T, r, q, vol);
      const ref = bsmPriceRef(right === 'call', S, K, T, r, q, vol);
      expect(Math.abs(kernel - expected), `${msg}: kernel ${kernel}`).toBeLessThanOrEqual(HAUG_TOL);
      expect(Math.abs(ref - expected), `${msg}: reference ${ref}`).toBeLessThanOrEqual(HAUG_TOL);
      expect(scalar, `${msg}: bsmPrice equals the kernel's value`).toBe(kernel);
      worst = Math.max(worst, Math.abs(kernel - expected));
    });
    console.log(`Haug values: ${all.length} checked, max |kernel - published| = ${worst.toExponential(3)}`);
  });

  it(`${HAUG_GREEKS.length} sensitivities (pages 11-16) within ${HAUG_TOL}`, () => {
    let worst = 0;
    for (const [greek, right, K, S, q, r, T, vol, expected] of HAUG_GREEKS) {
      const isCall = right === 'call';
      const [g] = wasmValue([option(isCall, S, K, T, r, q, vol)]);
      const ref = bsmGreeksRef(isCall, S, K, T, r, q, vol);
      // rho and dividend rho are not outputs of the engine: central differences of the kernel's
      // price (bump 1e-6; truncation and rounding error both below 1e-8 here).
      const h = 1e-6;
      const price = (rr: number, qq: number): number => wasmBsmPrice(isCall ? 1 : 0, S, K, T, rr, qq, vol);
      let got: number;
      let refGot: number;
      switch (greek) {
        case 'delta': got = g!.delta; refGot = ref.delta; break;
        case 'elasticity': got = g!.delta * S / g!.value; refGot = ref.delta * S / ref.value; break;
        case 'gamma': got = g!.gamma; refGot = ref.gamma; break;
        case 'vega': got = g!.vega; refGot = ref.vega; break;
        case 'theta': got = g!.theta; refGot = ref.theta; break;
        case 'thetaPerDay': got = g!.theta / 365; refGot = ref.theta / 365; break;
        case 'rho': got = refGot = (price(r + h, q) - price(r - h, q)) / (2 * h); break;
        case 'dividendRho': got = refGot = (price(r, q + h) - price(r, q - h)) / (2 * h); break;
      }
      const msg = `Haug ${greek}: ${right} K=${K} S=${S} q=${q} r=${r} T=${T} vol=${vol}, published ${expected}`;
      expect(Math.abs(got - expected), `${msg}: kernel ${got}`).toBeLessThanOrEqual(HAUG_TOL);
      expect(Math.abs(refGot - expected), `${msg}: reference ${refGot}`).toBeLessThanOrEqual(HAUG_TOL);
      worst = Math.max(worst, Math.abs(got - expected));
    }
    console.log(`Haug sensitivities: ${HAUG_GREEKS.length} checked, max |kernel - published| = ${worst.toExponential(3)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Random options: short and long tenors, low and high vols, deep in and out of the money.
// ---------------------------------------------------------------------------------------------
interface OptionCase { isCall: boolean; S: number; K: number; T: number; r: number; q: number; vol: number }

function randomOption(rng: Rng, zMax: number): OptionCase {
  const tenors = [1 / 365, 7 / 365, 30 / 365, 0.25, 1, 3, 10];
  const T = rng.pick(tenors) * rng.uniform(0.8, 1.25);
  const vol = rng.pick([0.05, 0.2, 0.6, 1.5]) * rng.uniform(0.8, 1.25);
  const r = rng.uniform(-0.02, 0.1);
  const q = rng.uniform(-0.02, 0.1);
  const S = 100 * Math.exp(rng.uniform(-3, 3));
  // Moneyness in standard deviations: z = ln(F/K) / (vol sqrt T), up to zMax either way.
  const z = rng.uniform(-zMax, zMax);
  const F = S * Math.exp((r - q) * T);
  const K = F * Math.exp(-z * vol * Math.sqrt(T));
  return { isCall: rng.next() < 0.5, S, K, T, r, q, vol };
}

const show = (c: object): string => JSON.stringify(c);

describe('sensitivities against bump-and-revalue (central differences of the kernel price)', () => {
  // Bumps are relative to each input's natural scale so one rule fits one-day and ten-year options:
  // S by hS = 1e-4 * S * vol sqrt T, vol by 1e-4 * vol, T by 1e-4 * T. Truncation error is then
  // ~1e-8 of the greek's scale.
  // Tolerance: |fd - analytic| <= 1e-6 * |analytic| + 1e-7 * scale + noise, with the scales of each
  // greek (its largest possible size for that option): delta 1; gamma 1 / (S vol sqrt T);
  // vega S sqrt T; theta S vol / sqrt T + |r| K + |q| S; and noise the rounding error of the
  // difference quotient: 1e-13 * max|V| / h for a first difference (the prices are accurate to
  // ~1e-13 relative even where the formula's two terms nearly cancel), 4e-13 * max|V| / h^2 for
  // the second difference. Noise matters only for deep in-the-money options worth far more than S.
  const N_CASES = 2000;
  const rng = new Rng(20261121);
  const cases = Array.from({ length: N_CASES }, () => randomOption(rng, 6));
  const price = (c: OptionCase, S = c.S, T = c.T, vol = c.vol): number =>
    wasmBsmPrice(c.isCall ? 1 : 0, S, c.K, T, c.r, c.q, vol);
  const greeks = wasmValue(cases.map((c) => option(c.isCall, c.S, c.K, c.T, c.r, c.q, c.vol)));
  const deltaAt = (c: OptionCase, S: number): number => wasmValue([option(c.isCall, S, c.K, c.T, c.r, c.q, c.vol)])[0]!.delta;

  /** fd returns the difference quotient and its rounding noise. */
  function checkAll(name: string, fd: (c: OptionCase) => [number, number], an: (g: Greeks) => number,
    scale: (c: OptionCase) => number, relTol = 1e-6, absTol = 1e-7): void {
    let worst = 0;
    cases.forEach((c, i) => {
      const g = greeks[i]!;
      const a = an(g);
      const [f, noise] = fd(c);
      const err = Math.abs(f - a);
      const tol = relTol * Math.abs(a) + absTol * scale(c) + noise;
      worst = Math.max(worst, err / tol);
      expect(err, `${name}: ${show(c)} analytic ${a} finite difference ${f}`).toBeLessThanOrEqual(tol);
    });
    console.log(`${name}: ${cases.length} options, worst error / tolerance = ${worst.toFixed(4)}`);
  }
  const sdOf = (c: OptionCase): number => c.vol * Math.sqrt(c.T);

  it('delta = dV/dS', () => {
    checkAll('delta', (c) => {
      const h = 1e-4 * c.S * sdOf(c);
      const up = price(c, c.S + h), down = price(c, c.S - h);
      return [(up - down) / (2 * h), 1e-13 * Math.max(Math.abs(up), Math.abs(down)) / h];
    }, (g) => g.delta, () => 1);
  });

  it('gamma = d delta/dS (difference of the analytic delta)', () => {
    checkAll('gamma (from delta)', (c) => {
      const h = 1e-4 * c.S * sdOf(c);
      return [(deltaAt(c, c.S + h) - deltaAt(c, c.S - h)) / (2 * h), 1e-13 / h];
    }, (g) => g.gamma, (c) => 1 / (c.S * sdOf(c)));
  });

  it('gamma = d2V/dS2 (second difference of the price)', () => {
    // Wider bump (1e-3 vol sqrt T) and tolerance (1e-4 relative, 1e-6 of scale): the second
    // difference loses more to rounding.
    checkAll('gamma (from price)', (c) => {
      const h = 1e-3 * c.S * sdOf(c);
      const up = price(c, c.S + h), mid = price(c), down = price(c, c.S - h);
      return [(up - 2 * mid + down) / (h * h), 4e-13 * Math.max(Math.abs(up), Math.abs(mid), Math.abs(down)) / (h * h)];
    }, (g) => g.gamma, (c) => 1 / (c.S * sdOf(c)), 1e-4, 1e-6);
  });

  it('vega = dV/dvol per 1.00 of vol', () => {
    checkAll('vega', (c) => {
      const h = 1e-4 * c.vol;
      const up = price(c, c.S, c.T, c.vol + h), down = price(c, c.S, c.T, c.vol - h);
      return [(up - down) / (2 * h), 1e-13 * Math.max(Math.abs(up), Math.abs(down)) / h];
    }, (g) => g.vega, (c) => c.S * Math.sqrt(c.T));
  });

  it('theta = dV/dt = -dV/dT per year', () => {
    checkAll('theta', (c) => {
      const h = 1e-4 * c.T;
      const up = price(c, c.S, c.T + h), down = price(c, c.S, c.T - h);
      return [-(up - down) / (2 * h), 1e-13 * Math.max(Math.abs(up), Math.abs(down)) / h];
    }, (g) => g.theta, (c) => c.S * c.vol / Math.sqrt(c.T) + Math.abs(c.r) * c.K + Math.abs(c.q) * c.S);
  });
});

// ---------------------------------------------------------------------------------------------
// Kernel against the plain-TypeScript twin.
// ---------------------------------------------------------------------------------------------
describe('kernel against the TypeScript reference', () => {
  const REL_TOL = 1e-9;

  it(`6000 seeded random instruments of every kind agree within ${REL_TOL} relative`, () => {
    const rng = new Rng(7);
    const xs: Instrument[] = [];
    for (let i = 0; i < 6000; i++) {
      const u = rng.next();
      const cs = rng.pick([1, 0.01, 0.1, 5, 100]);
      const S = 100 * Math.exp(rng.uniform(-4, 4));
      if (u < 0.1) {
        xs.push({ kind: KIND_SPOT, S, cs });
      } else if (u < 0.2) {
        xs.push({ kind: KIND_LINEAR, S, cs, F: S * Math.exp(rng.uniform(-0.2, 0.2)), T: rng.uniform(0, 2) });
      } else {
        const c = randomOption(rng, 8);
        // Some expired options (T <= 0: intrinsic), a few exactly at the strike.
        if (u > 0.95) { c.T = rng.pick([0, -1 / 365, -0.5]); if (rng.next() < 0.2) c.K = c.S; }
        xs.push(option(c.isCall, c.S, c.K, c.T, c.r, c.q, c.vol, cs));
      }
    }
    const n = xs.length;
    const t = table(xs);
    const got = valueTable(arena, t, n);
    const want = referenceValue(t, n);
    expect(got.length).toBe(NGREEKS * n);
    const report: string[] = [];
    for (const [name, c] of GREEK_COLS) {
      const a = got.subarray(c * n, (c + 1) * n);
      const b = want.subarray(c * n, (c + 1) * n);
      const { max, at } = maxRelDiff(a, b);
      report.push(`${name} ${max.toExponential(2)}`);
      expect(max, `${name}: instrument ${show(xs[at] ?? {})} kernel ${a[at]} reference ${b[at]}`)
        .toBeLessThanOrEqual(REL_TOL);
    }
    console.log(`kernel vs reference, ${n} instruments, max relative difference: ${report.join(', ')}`);
    // The revaluation kernels price with the scalar bsmPrice: the same number, bit for bit.
    xs.forEach((x, i) => {
      if (x.kind !== KIND_CALL && x.kind !== KIND_PUT) return;
      const p = wasmBsmPrice(x.kind === KIND_CALL ? 1 : 0, x.S, x.K!, x.T!, x.r!, x.q!, x.vol!);
      expect(x.cs! * p, `bsmPrice vs kernel value: ${show(x)}`).toBe(got[OUT_VALUE * n + i]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Closed forms and invariants.
// ---------------------------------------------------------------------------------------------
describe('invariants and closed forms', () => {
  it('put-call parity: C - P = S e^{-qT} - K e^{-rT}, and the greeks likewise', () => {
    // Tolerance 1e-12 * (S + K) absolute (values), 1e-12 (delta), 1e-12 relative (gamma, vega),
    // 1e-11 * (S + K) * (1 + vol / sqrt T) (theta).
    const rng = new Rng(11);
    for (let i = 0; i < 2000; i++) {
      const c = randomOption(rng, 6);
      const [call, put] = wasmValue([
        option(true, c.S, c.K, c.T, c.r, c.q, c.vol), option(false, c.S, c.K, c.T, c.r, c.q, c.vol)]);
      const dq = Math.exp(-c.q * c.T);
      const df = Math.exp(-c.r * c.T);
      const msg = show(c);
      const scale = c.S + c.K;
      expect(Math.abs(call!.value - put!.value - (c.S * dq - c.K * df)), msg).toBeLessThanOrEqual(1e-12 * scale);
      expect(Math.abs(call!.delta - put!.delta - dq), msg).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(call!.gamma - put!.gamma), msg).toBeLessThanOrEqual(1e-12 * call!.gamma);
      expect(Math.abs(call!.vega - put!.vega), msg).toBeLessThanOrEqual(1e-12 * call!.vega);
      expect(Math.abs(call!.theta - put!.theta - (c.q * c.S * dq - c.r * c.K * df)), msg)
        .toBeLessThanOrEqual(1e-11 * scale * (1 + c.vol / Math.sqrt(c.T)));
    }
  });

  it('expired options (T <= 0) are worth their intrinsic value at S', () => {
    // Delta of the intrinsic: 1 / 0 for a call in / out of the money, 0.5 at the strike; the put's
    // the negatives. Gamma, vega and theta 0. r, q and vol play no part.
    const cases: [boolean, number, number, number, Greeks][] = [
      [true, 110, 100, 0, { value: 10, delta: 1, gamma: 0, vega: 0, theta: 0 }],
      [true, 90, 100, 0, { value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 }],
      [true, 100, 100, -0.25, { value: 0, delta: 0.5, gamma: 0, vega: 0, theta: 0 }],
      [false, 90, 100, -1 / 365, { value: 10, delta: -1, gamma: 0, vega: 0, theta: 0 }],
      [false, 110, 100, 0, { value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 }],
      [false, 100, 100, 0, { value: 0, delta: -0.5, gamma: 0, vega: 0, theta: 0 }],
    ];
    const got = wasmValue(cases.map(([isCall, S, K, T]) => option(isCall, S, K, T, 0.05, 0.02, 0.4, 3)));
    cases.forEach(([isCall, S, K, T, want], i) => {
      const scaled = { value: 3 * want.value, delta: 3 * want.delta, gamma: 0, vega: 0, theta: 0 };
      expect(got[i], `${isCall ? 'call' : 'put'} S=${S} K=${K} T=${T} contractSize 3`).toEqual(scaled);
      expect(bsmGreeksRef(isCall, S, K, T, 0.05, 0.02, 0.4), 'reference').toEqual(want);
      expect(wasmBsmPrice(isCall ? 1 : 0, S, K, T, 0.05, 0.02, 0.4), 'bsmPrice').toBe(want.value);
    });
  });

  it('spot: value cs * S, delta cs; linear: value 0, delta cs * F / S', () => {
    const xs: Instrument[] = [
      { kind: KIND_SPOT, S: 97000, cs: 1 },
      { kind: KIND_SPOT, S: 3100, cs: 0.5, T: 1, r: 0.04, vol: 0.3 },
      { kind: KIND_LINEAR, S: 97000, cs: 1, F: 97800, T: 36 / 365, r: 0.04 },
      { kind: KIND_LINEAR, S: 3100, cs: 10, F: 3100 },
    ];
    const got = wasmValue(xs);
    expect(got[0]).toEqual({ value: 97000, delta: 1, gamma: 0, vega: 0, theta: 0 });
    expect(got[1]).toEqual({ value: 1550, delta: 0.5, gamma: 0, vega: 0, theta: 0 });
    expect(got[2]!.value).toBe(0);
    expect(got[2]!.delta).toBeCloseTo(97800 / 97000, 15);
    expect([got[2]!.gamma, got[2]!.vega, got[2]!.theta]).toEqual([0, 0, 0]);
    expect(got[3]).toEqual({ value: 0, delta: 10, gamma: 0, vega: 0, theta: 0 });
    // The delta is the slope of the contract's P&L cs * F * (S'/S - 1) in S'.
    const pnl = (Sp: number): number => 1 * 97800 * (Sp / 97000 - 1);
    expect(got[2]!.delta).toBeCloseTo((pnl(98000) - pnl(96000)) / 2000, 12);
  });

  it('theta of a long ATM call with r = q = 0 is negative: -S phi(d1) vol / (2 sqrt T)', () => {
    for (const [S, T, vol] of [[100, 0.5, 0.2], [97000, 36 / 365, 0.55], [3100, 1 / 365, 0.75]] as const) {
      const [g] = wasmValue([option(true, S, S, T, 0, 0, vol)]);
      const d1 = vol * Math.sqrt(T) / 2;
      const closed = -S * Math.exp(-d1 * d1 / 2) / Math.sqrt(2 * Math.PI) * vol / (2 * Math.sqrt(T));
      expect(g!.theta, `S=${S} T=${T} vol=${vol}`).toBeLessThan(0);
      expect(Math.abs(g!.theta - closed), `S=${S} T=${T} vol=${vol}`).toBeLessThanOrEqual(1e-12 * Math.abs(closed));
    }
  });

  it('vol <= 0 gives the discounted forward intrinsic, never NaN', () => {
    const S = 100, K = 95, T = 0.5, r = 0.05, q = 0.01;
    const df = Math.exp(-r * T), dq = Math.exp(-q * T);
    const F = S * Math.exp((r - q) * T);
    const [call, put] = wasmValue([option(true, S, K, T, r, q, 0), option(false, S, K, T, r, q, -0.1)]);
    expect(call!.value).toBeCloseTo(df * (F - K), 12);
    expect(call!.delta).toBeCloseTo(dq, 15);
    expect(call!.theta).toBeCloseTo(q * S * dq - r * K * df, 12);
    expect([call!.gamma, call!.vega]).toEqual([0, 0]);
    expect(put).toEqual({ value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
    expect(bsmGreeksRef(true, S, K, T, r, q, 0).value).toBeCloseTo(call!.value, 12);
  });

  it('S = 0 gives the limit: call 0, put K e^{-rT}, gamma 0', () => {
    const [call, put] = wasmValue([option(true, 0, 100, 1, 0.05, 0, 0.3), option(false, 0, 100, 1, 0.05, 0, 0.3)]);
    expect(call).toEqual({ value: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
    expect(put!.value).toBeCloseTo(100 * Math.exp(-0.05), 12);
    expect(put!.gamma).toBe(0);
  });

  it('scales with contract size exactly', () => {
    const c = option(true, 97000, 100000, 36 / 365, 0.04, 0, 0.55, 1);
    const [one, ten] = wasmValue([c, { ...c, cs: 0.25 }]);
    for (const [name] of GREEK_COLS) expect(ten![name], name).toBe(0.25 * one![name]);
  });
});

describe('host wrapper and kernel arguments', () => {
  it('releases the arena and accepts an empty table', () => {
    const before = arena.used;
    expect(valueTable(arena, new Float64Array(0), 0)).toEqual(new Float64Array(0));
    wasmValue([option(true, 100, 100, 1, 0, 0, 0.2)]);
    expect(arena.used).toBe(before);
  });

  it('survives memory growth during the call (fresh views)', () => {
    const n = 40000; // 40000 * (10 + 5) * 8 bytes = 4.8 MB, more than the initial memory
    const xs = Array.from({ length: n }, (_, i) => option(i % 2 === 0, 100, 80 + (i % 41), 0.5, 0.01, 0, 0.3));
    const t = table(xs);
    const got = valueTable(arena, t, n);
    const want = referenceValue(t, n);
    expect(maxRelDiff(got, want).max).toBeLessThanOrEqual(1e-9);
  });

  it('an unknown kind is a kernel status, thrown as E_INTERNAL', () => {
    const t = table([{ kind: KIND_SPOT, S: 1 }, { kind: 7, S: 1 }]);
    expect(() => valueTable(arena, t, 2)).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
    expect(() => valueTable(arena, t, 3)).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
    expect(() => referenceValue(t, 2)).toThrow(/unknown kind 7/);
  });

  it('the kernel returns STATUS_BAD_ARGUMENT for n < 0', () => {
    const mark = arena.mark();
    const p = arena.allocF64(16);
    expect(kernels.valueInstruments(p, -1, p)).toBe(STATUS_BAD_ARGUMENT);
    arena.release(mark);
  });
});
