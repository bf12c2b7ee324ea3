/**
 * Volatility surfaces (docs/surfaces.md): validateSurface and surfaceVol (src/surface/surface.ts)
 * against a table worked by hand and the independent numpy/scipy fixture
 * (scripts/surface-fixture.py), the kernel surfaceVols (assembly/surface.ts, through
 * src/kernels/surface.ts) against surfaceVol bit for bit, and options priced at a surface's vol.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { isInputError } from '../src/errors.js';
import {
  MAX_EXPIRIES, MAX_POINTS, surfaceLn, surfaceVol, validateSurface, type ResolvedSurface,
} from '../src/surface/surface.js';
import { SURFACE_BAD_LOOKUP, surfaceVolsWasm } from '../src/kernels/surface.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { valueTable } from '../src/kernels/valuation.js';
import { COL_CS, COL_K, COL_KIND, COL_Q, COL_R, COL_S, COL_T, COL_VOL, KIND_CALL, KIND_PUT, NCOLS, STATUS_BAD_ARGUMENT } from '../src/layout.js';
import { Rng } from './helpers/random.js';

const kernels = instantiateKernels();
const arena = new Arena(kernels);

const AS_OF = '2026-01-01T00:00:00Z';
/** T_0 = 73/365 = 0.2, T_1 = 146/365 = 0.4; points 0.8, 1, 1.25 (moneyness). */
const HAND = {
  axis: 'moneyness', expiries: ['2026-03-15T00:00:00Z', '2026-05-27T00:00:00Z'],
  points: [0.8, 1.0, 1.25], vols: [[0.6, 0.5, 0.55], [0.55, 0.45, 0.5]],
};
const hand = validateSurface(HAND, 'BTC', AS_OF, 'market.json', 'underlyings.BTC.surface');

/** The InputError message validateSurface throws for `json`. */
function message(json: unknown, asOf: string = AS_OF): string {
  try {
    validateSurface(json, 'BTC', asOf, 'market.json', 'underlyings.BTC.surface');
  } catch (e) {
    expect(isInputError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('validateSurface accepted the surface');
}

const withVols = (vols: number[][]) => ({ ...HAND, vols });

describe('validateSurface', () => {
  it('resolves expiries to ACT/365F year fractions from asOf and points to their logs', () => {
    expect(hand.axis).toBe('moneyness');
    expect(hand.nExpiries).toBe(2);
    expect(hand.nPoints).toBe(3);
    // 2026-01-01 to 2026-03-15 is 31 + 28 + 14 = 73 days; to 2026-05-27 is 146 days.
    expect(Array.from(hand.T)).toEqual([73 / 365, 146 / 365]);
    expect(Array.from(hand.lnPoints)).toEqual([Math.log(0.8), 0, Math.log(1.25)]);
    expect(Array.from(hand.vols)).toEqual([0.6, 0.5, 0.55, 0.55, 0.45, 0.5]);
    // Hours count: 08:00 is a third of a day.
    const s = validateSurface({ ...HAND, expiries: ['2026-01-02T08:00:00Z'], vols: [[0.6, 0.5, 0.55]] }, 'BTC', AS_OF);
    expect(s.T[0]).toBe((86400 + 8 * 3600) / (365 * 86400));
  });

  it('rejects calendar arbitrage, naming the underlying, both expiries and the point', () => {
    // w at point 1.0: 0.5^2 * 0.2 = 0.05 at the first expiry; 0.3^2 * 0.4 = 0.036 at the second.
    const m = message(withVols([[0.6, 0.5, 0.55], [0.55, 0.3, 0.5]]));
    expect(m).toBe('market.json: underlyings.BTC.surface.vols[1][1]: surface of "BTC": calendar arbitrage at point 1: '
      + 'total variance vol^2 T falls from 0.05 at expiry "2026-03-15T00:00:00Z" (vol 0.5) to 0.036 at expiry '
      + '"2026-05-27T00:00:00Z" (vol 0.3)');
    // Equal total variance is allowed: 0.5 * sqrt(1/2) at twice the time.
    const flat = Math.SQRT1_2 * 0.5;
    expect(flat * flat * (146 / 365)).toBeGreaterThanOrEqual(0.5 * 0.5 * (73 / 365));
    expect(() => validateSurface(withVols([[0.6, 0.5, 0.55], [0.55, flat, 0.5]]), 'BTC', AS_OF)).not.toThrow();
  });

  it('rejects bad vols, expiries, points and rows with the underlying, expiry and point named', () => {
    expect(message(withVols([[0.6, 0, 0.55], [0.55, 0.45, 0.5]]))).toBe(
      'market.json: underlyings.BTC.surface.vols[0][1]: surface of "BTC": vol at expiry "2026-03-15T00:00:00Z", point 1: '
      + 'expected a finite number > 0 and <= 10, got 0');
    expect(message(withVols([[0.6, 0.5, 0.55], [0.55, -0.1, 0.5]]))).toContain('vols[1][1]: surface of "BTC": vol at expiry "2026-05-27T00:00:00Z", point 1: expected a finite number > 0');
    expect(message(withVols([[0.6, 0.5, 0.55], [0.55, 0.45, '0.5' as unknown as number]]))).toContain('point 1.25: expected a finite number > 0 and <= 10, got "0.5"');
    expect(message(withVols([[0.6, 0.5, 0.55], [0.55, 0.45, 11]]))).toContain('got 11');
    expect(message(withVols([[0.6, 0.5, 0.55], [0.55, 0.45]]))).toBe(
      'market.json: underlyings.BTC.surface.vols[1]: surface of "BTC": row of expiry "2026-05-27T00:00:00Z": expected 3 vols (one per point), got 2');
    expect(message(withVols([[0.6, 0.5, 0.55]]))).toContain('vols: surface of "BTC": expected one row per expiry (2), got 1 rows');
    expect(message({ ...HAND, expiries: ['2026-05-27T00:00:00Z', '2026-03-15T00:00:00Z'] })).toBe(
      'market.json: underlyings.BTC.surface.expiries[1]: surface of "BTC": expiries must be strictly increasing: '
      + '"2026-03-15T00:00:00Z" is not after "2026-05-27T00:00:00Z"');
    expect(message({ ...HAND, expiries: ['2026-03-15T00:00:00Z', '2026-03-15T00:00:00Z'] })).toContain('expiries must be strictly increasing');
    expect(message({ ...HAND, expiries: ['2026-01-01T00:00:00Z', '2026-05-27T00:00:00Z'] })).toBe(
      'market.json: underlyings.BTC.surface.expiries[0]: surface of "BTC": expiry "2026-01-01T00:00:00Z" is not after asOf');
    expect(message({ ...HAND, expiries: ['2026-03-15', '2026-05-27T00:00:00Z'] })).toContain('expiries[0]: surface of "BTC": expected an ISO-8601 UTC date-time');
    expect(message({ ...HAND, points: [0.8, 1.25, 1.0] })).toBe(
      'market.json: underlyings.BTC.surface.points[2]: surface of "BTC": points must be strictly increasing: 1 is not above 1.25');
    expect(message({ ...HAND, points: [0, 1, 1.25] })).toContain('points[0]: surface of "BTC": expected a finite number > 0, got 0');
    expect(message({ ...HAND, points: [0.8, Infinity, 1.25] })).toContain('points[1]');
    const big = 1e300, next = big * (1 + Number.EPSILON);
    expect(Math.log(next)).toBe(Math.log(big));
    expect(message({ ...HAND, points: [0.8, big, next] })).toContain('are too close: their logarithms are equal');
    expect(message({ ...HAND, axis: 'delta' })).toContain('axis: surface of "BTC": expected "moneyness" or "strike", got "delta"');
    expect(message({ ...HAND, strikes: [] })).toContain('unknown field "strikes"');
    const { vols: _v, ...noVols } = HAND;
    expect(message(noVols)).toContain('surface.vols: surface of "BTC": missing');
    expect(message([1, 2])).toContain('expected a JSON object');
  });

  it('bounds the sizes', () => {
    const exps = Array.from({ length: MAX_EXPIRIES + 1 }, (_, i) => new Date(Date.UTC(2026, 1, 1 + i)).toISOString());
    expect(message({ ...HAND, expiries: exps, vols: exps.map(() => [0.5, 0.5, 0.5]) })).toContain(`expected a list of 1 to ${MAX_EXPIRIES} expiries, got ${MAX_EXPIRIES + 1}`);
    expect(message({ ...HAND, expiries: [], vols: [] })).toContain('expected a list of 1 to');
    const pts = Array.from({ length: MAX_POINTS + 1 }, (_, j) => 1 + j);
    expect(message({ ...HAND, points: pts })).toContain(`expected a list of 1 to ${MAX_POINTS} points, got ${MAX_POINTS + 1}`);
  });
});

describe('surfaceVol against a table worked by hand', () => {
  // Forward 100; moneyness m = K / 100. lnPoints = [ln 0.8, 0, ln 1.25].
  const F = 100;
  const at = (m: number, T: number) => surfaceVol(hand, m * F, T, F);

  it('on the nodes: the node vol exactly', () => {
    expect(at(1, 0.2)).toBe(0.5);
    expect(at(0.8, 0.2)).toBe(0.6);
    expect(at(1, 0.4)).toBe(0.45);
    expect(at(1.25, 0.4)).toBe(0.5);
  });

  it('between points: linear in vol against ln(m)', () => {
    // m = sqrt(0.8): ln m = ln(0.8) / 2, a = (ln m - ln 0.8) / (0 - ln 0.8) = 1/2,
    // vol = 0.6 + (0.5 - 0.6) / 2 = 0.55 at T_0 and 0.55 + (0.45 - 0.55) / 2 = 0.5 at T_1.
    expect(at(Math.sqrt(0.8), 0.2)).toBeCloseTo(0.55, 14);
    expect(at(Math.sqrt(0.8), 0.4)).toBeCloseTo(0.5, 14);
    // m = 1.1: a = ln 1.1 / ln 1.25 = 0.0953101798 / 0.2231435513 = 0.427124; vol = 0.5 + 0.05 a at T_0.
    expect(at(1.1, 0.2)).toBeCloseTo(0.5 + 0.05 * (Math.log(1.1) / Math.log(1.25)), 15);
    expect(at(1.1, 0.2)).toBeCloseTo(0.521356, 6);
  });

  it('flat beyond the points (strike extrapolation)', () => {
    expect(at(0.5, 0.2)).toBe(0.6);   // below 0.8: the first point's vol
    expect(at(0.01, 0.4)).toBe(0.55);
    expect(at(2, 0.2)).toBe(0.55);    // above 1.25: the last point's vol
    expect(at(100, 0.4)).toBe(0.5);
  });

  it('between expiries: linear in total variance at the same moneyness', () => {
    // m = 1, T = 0.3: w_0 = 0.5^2 * 0.2 = 0.05, w_1 = 0.45^2 * 0.4 = 0.081,
    // w = 0.05 + 0.031 * (0.1 / 0.2) = 0.0655, vol = sqrt(0.0655 / 0.3) = sqrt(0.218333...) = 0.4672615...
    expect(at(1, 0.3)).toBeCloseTo(Math.sqrt(0.0655 / 0.3), 15);
    expect(at(1, 0.3)).toBeCloseTo(0.4672615256, 10);
    // m = sqrt(0.8), T = 0.3: v_0 = 0.55, v_1 = 0.5; w_0 = 0.3025 * 0.2 = 0.0605, w_1 = 0.25 * 0.4 = 0.1,
    // w = 0.0605 + 0.0395 / 2 = 0.08025, vol = sqrt(0.08025 / 0.3) = sqrt(0.2675) = 0.5172040...
    expect(at(Math.sqrt(0.8), 0.3)).toBeCloseTo(Math.sqrt(0.2675), 14);
    // m = 2 (beyond the points), T = 0.25: w_0 = 0.55^2 * 0.2 = 0.0605, w_1 = 0.5^2 * 0.4 = 0.1,
    // w = 0.0605 + 0.0395 * 0.25 = 0.070375, vol = sqrt(0.070375 / 0.25) = sqrt(0.2815) = 0.53056574...
    expect(at(2, 0.25)).toBeCloseTo(Math.sqrt(0.2815), 15);
  });

  it('flat beyond the expiries (time extrapolation): the nearest expiry\'s vol at the same moneyness', () => {
    expect(at(1, 0.1)).toBe(0.5);     // before T_0
    expect(at(1, 0)).toBe(0.5);       // T = 0
    expect(at(1, -0.5)).toBe(0.5);    // T < 0 (an expired option)
    expect(at(1, 1)).toBe(0.45);      // after T_1
    expect(at(1, 50)).toBe(0.45);
    expect(at(0.5, 3)).toBe(0.55);    // beyond both ends: the corner vol
    expect(at(Math.sqrt(0.8), 0.05)).toBeCloseTo(0.55, 14);
  });

  it('unusable inputs give NaN, never a vol', () => {
    for (const [K, T, Fw] of [[0, 0.2, F], [-1, 0.2, F], [NaN, 0.2, F], [Infinity, 0.2, F], [100, NaN, F],
      [100, Infinity, F], [100, 0.2, 0], [100, 0.2, -5], [100, 0.2, NaN], [100, 0.2, Infinity]]) {
      expect(surfaceVol(hand, K, T, Fw), `K ${K} T ${T} F ${Fw}`).toBeNaN();
    }
    // A strike axis does not read F.
    const strike = validateSurface({ ...HAND, axis: 'strike', points: [80, 100, 125] }, 'SPX', AS_OF);
    expect(surfaceVol(strike, 100, 0.2, NaN)).toBe(0.5);
    expect(surfaceVol(strike, Math.sqrt(80 * 100), 0.4, NaN)).toBeCloseTo(0.5, 14);
  });

  it('a surface with one expiry: that row at every T', () => {
    const one = validateSurface({ ...HAND, expiries: ['2026-03-15T00:00:00Z'], vols: [[0.6, 0.5, 0.55]] }, 'BTC', AS_OF);
    for (const T of [-1, 0, 0.1, 0.2, 0.3, 5]) {
      expect(surfaceVol(one, 100, T, F)).toBe(0.5);
      expect(surfaceVol(one, 50, T, F)).toBe(0.6);
      expect(surfaceVol(one, Math.sqrt(0.8) * 100, T, F)).toBeCloseTo(0.55, 14);
    }
  });

  it('a surface with one point: flat in strike, linear in total variance in time', () => {
    const one = validateSurface({ ...HAND, points: [1], vols: [[0.5], [0.45]] }, 'BTC', AS_OF);
    for (const m of [0.01, 0.5, 1, 3]) {
      expect(surfaceVol(one, m * F, 0.2, F)).toBe(0.5);
      expect(surfaceVol(one, m * F, 0.7, F)).toBe(0.45);
      expect(surfaceVol(one, m * F, 0.3, F)).toBeCloseTo(Math.sqrt(0.0655 / 0.3), 15);
    }
  });
});

interface Fixture {
  asOf: string;
  surfaces: { name: string; surface: unknown; lookups: { K: number; T: number; F: number; vol: number }[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/surface.json', import.meta.url), 'utf8')) as Fixture;

describe('surfaceVol and the kernel against the numpy/scipy fixture', () => {
  it.each(fixture.surfaces.map((s) => [s.name, s] as const))('%s', (_name, entry) => {
    const s = validateSurface(entry.surface, entry.name, fixture.asOf);
    const K = entry.lookups.map((l) => l.K), T = entry.lookups.map((l) => l.T), F = entry.lookups.map((l) => l.F);
    const wasm = surfaceVolsWasm(arena, s, K, T, F);
    expect(entry.lookups.length).toBeGreaterThan(40);
    entry.lookups.forEach((l, k) => {
      const v = surfaceVol(s, l.K, l.T, l.F);
      // Independent implementations (numpy's log, scipy's interpolation order): 2e-15 relative.
      expect(Math.abs(v - l.vol) / l.vol, `K ${l.K} T ${l.T} F ${l.F}: ${v} vs ${l.vol}`).toBeLessThan(2e-15);
      expect(Object.is(wasm[k], v)).toBe(true);
    });
  });
});

describe('surfaceLn', () => {
  it('is V8\'s Math.log (fdlibm) on many values, and the kernel\'s logarithm bit for bit', () => {
    const rng = new Rng(7);
    const xs: number[] = [0, -0, -1, Infinity, -Infinity, NaN, 5e-324, 2.2250738585072014e-308, 1, 2, 0.5, Number.MAX_VALUE];
    for (let i = 0; i < 30000; i++) xs.push(Math.exp(rng.uniform(-740, 709)), rng.uniform(0.1, 10), 1 + rng.uniform(-1e-5, 1e-5));
    const mark = arena.mark();
    const p = arena.putF64(xs), o = arena.allocF64(xs.length);
    expect((kernels.surfaceLnMap as (a: number, n: number, b: number) => number)(p, xs.length, o)).toBe(0);
    const got = arena.f64(o, xs.length).slice();
    arena.release(mark);
    const vsMath = xs.filter((x) => !Object.is(surfaceLn(x), Math.log(x)));
    const vsKernel = xs.filter((x, i) => !Object.is(got[i], surfaceLn(x)));
    expect(vsMath).toEqual([]);
    expect(vsKernel).toEqual([]);
  });
});

/** A random valid surface: increasing expiries and points, calendar-arbitrage-free vols. */
function randomSurface(rng: Rng): { json: unknown; s: ResolvedSurface } {
  const nE = rng.int(1, 8), nP = rng.int(1, 12);
  const axis = rng.next() < 0.5 ? 'moneyness' : 'strike';
  const asOfMs = Date.parse(AS_OF);
  let ms = asOfMs;
  const expiries: string[] = [];
  for (let i = 0; i < nE; i++) { ms += rng.int(1, 120) * 3_600_000 * rng.int(1, 24); expiries.push(new Date(ms).toISOString()); }
  const T = expiries.map((e) => (Date.parse(e) - asOfMs) / (365 * 86400 * 1000));
  let x = axis === 'moneyness' ? rng.uniform(0.3, 0.9) : rng.uniform(50, 5000);
  const points: number[] = [];
  for (let j = 0; j < nP; j++) { points.push(x); x *= rng.uniform(1.01, 1.4); }
  const vols: number[][] = [Array.from({ length: nP }, () => rng.uniform(0.05, 1.5))];
  for (let i = 1; i < nE; i++) {
    vols.push(vols[i - 1].map((v) => v * Math.sqrt(T[i - 1] / T[i]) * rng.uniform(1.001, 1.2)));
  }
  const json = { axis, expiries, points, vols };
  return { json, s: validateSurface(json, 'X', AS_OF) };
}

describe('the kernel against surfaceVol', () => {
  it('bit for bit on 10,000 random lookups over random valid surfaces', () => {
    const rng = new Rng(20261203);
    let total = 0, onExpiry = 0, onPoint = 0;
    for (let n = 0; n < 50; n++) {
      const { s } = randomSurface(rng);
      const lo = s.points[0], hi = s.points[s.nPoints - 1];
      const K: number[] = [], T: number[] = [], F: number[] = [];
      for (let k = 0; k < 200; k++) {
        const f = rng.uniform(50, 150);
        let x = Math.exp(rng.uniform(Math.log(lo) - 0.5, Math.log(hi) + 0.5));
        if (rng.next() < 0.1) { x = s.points[rng.int(0, s.nPoints - 1)]; onPoint++; }
        let t = rng.uniform(-0.05, s.T[s.nExpiries - 1] * 1.5);
        if (rng.next() < 0.1) { t = s.T[rng.int(0, s.nExpiries - 1)]; onExpiry++; }
        K.push(s.axis === 'moneyness' ? x * f : x); T.push(t); F.push(f);
      }
      const wasm = surfaceVolsWasm(arena, s, K, T, F);
      for (let k = 0; k < K.length; k++) {
        const v = surfaceVol(s, K[k], T[k], F[k]);
        expect(Number.isFinite(v) && v > 0).toBe(true);
        if (!Object.is(wasm[k], v)) {
          throw new Error(`surface ${n} lookup ${k}: K ${K[k]} T ${T[k]} F ${F[k]}: kernel ${wasm[k]}, TypeScript ${v}`);
        }
        total++;
      }
    }
    expect(total).toBe(10_000);
    expect(onExpiry).toBeGreaterThan(500);
    expect(onPoint).toBeGreaterThan(500);
  });

  it('gives NaN for unusable lookups only, with its status; refuses a bad surface layout', () => {
    const K = [100, 0, 100, 100, 90], T = [0.3, 0.3, NaN, 0.3, 0.3], F = [100, 100, 100, -1, 100];
    const v = surfaceVolsWasm(arena, hand, K, T, F);
    expect(Object.is(v[0], surfaceVol(hand, 100, 0.3, 100))).toBe(true);
    expect(Object.is(v[4], surfaceVol(hand, 90, 0.3, 100))).toBe(true);
    expect([v[1], v[2], v[3]].every(Number.isNaN)).toBe(true);
    const run = kernels.surfaceVols as (...a: number[]) => number;
    const mark = arena.mark();
    const p = arena.putF64([1, 2, 3]), out = arena.allocF64(1);
    const one = arena.putF64([100]), t = arena.putF64([0.3]), bad = arena.putF64([-1]);
    expect(run(0, p, 1, p, 1, p, one, t, one, 1, out)).toBe(0);
    expect(run(0, p, 1, p, 1, p, one, t, bad, 1, out)).toBe(SURFACE_BAD_LOOKUP);
    expect(run(2, p, 1, p, 1, p, one, t, one, 1, out)).toBe(STATUS_BAD_ARGUMENT);
    expect(run(0, p, 0, p, 1, p, one, t, one, 1, out)).toBe(STATUS_BAD_ARGUMENT);
    expect(run(0, p, 1, p, 0, p, one, t, one, 1, out)).toBe(STATUS_BAD_ARGUMENT);
    expect(run(0, p, 1, p, 1, p, one, t, one, -1, out)).toBe(STATUS_BAD_ARGUMENT);
    arena.release(mark);
  });
});

describe('options priced at the surface\'s vol', () => {
  it('equal the same options given that vol explicitly, bit for bit', () => {
    // On a node (moneyness 1 at T_0 = 0.2) the surface's vol is the double 0.5 itself.
    const S = 100, r = 0.03, q = 0.01;
    const T0 = hand.T[0];
    const Fw = S * Math.exp((r - q) * T0);
    const atm = surfaceVol(hand, Fw, T0, Fw);
    expect(atm).toBe(0.5);
    expect(Object.is(bsmPriceRef(true, S, Fw, T0, r, q, atm), bsmPriceRef(true, S, Fw, T0, r, q, 0.5))).toBe(true);
    // Off the nodes: the reference and the valuation kernel, at the kernel's and at TypeScript's vols.
    const rng = new Rng(99);
    const n = 200;
    const K: number[] = [], T: number[] = [], F: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = rng.uniform(0.01, 0.6);
      K.push(rng.uniform(60, 150)); T.push(t); F.push(S * Math.exp((r - q) * t));
    }
    const wasmVols = surfaceVolsWasm(arena, hand, K, T, F);
    const tsVols = K.map((k, i) => surfaceVol(hand, k, T[i], F[i]));
    const table = (vols: ArrayLike<number>) => {
      const tb = new Float64Array(NCOLS * n);
      for (let i = 0; i < n; i++) {
        tb[COL_KIND * n + i] = i % 2 ? KIND_CALL : KIND_PUT; tb[COL_S * n + i] = S; tb[COL_K * n + i] = K[i];
        tb[COL_T * n + i] = T[i]; tb[COL_R * n + i] = r; tb[COL_Q * n + i] = q; tb[COL_VOL * n + i] = vols[i];
        tb[COL_CS * n + i] = 1;
      }
      return tb;
    };
    const fromKernel = valueTable(arena, table(wasmVols), n);
    const explicit = valueTable(arena, table(tsVols.map((v) => Number(v.toString()))), n);
    expect(Array.from(fromKernel)).toEqual(Array.from(explicit));
    for (let i = 0; i < n; i++) {
      expect(Object.is(bsmPriceRef(i % 2 === 1, S, K[i], T[i], r, q, wasmVols[i]),
        bsmPriceRef(i % 2 === 1, S, K[i], T[i], r, q, Number(tsVols[i].toString())))).toBe(true);
    }
  });
});
