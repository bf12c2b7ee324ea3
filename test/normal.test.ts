/**
 * The standard normal CDF and density: the WebAssembly kernel (assembly/normal.ts, Cody's rational
 * approximations) and the plain-TypeScript reference (src/reference/normal.ts, series and continued
 * fraction), both against high-precision values.
 *
 * Fixture: test/fixtures/normal.json, written by scripts/normal-fixture.py with mpmath at 60
 * significant digits and rounded once to the nearest double; 3042 points of [-38, 9] (every
 * multiple of 1/32, interval edges and 1500 seeded uniform points).
 *
 * Tolerances: relative error <= 1e-14 where the exact value is a normal double (>= 2^-1022,
 * i.e. x >= -37.5); where it is subnormal (x in [-38, -37.5]) precision is absolute, and the
 * error must be <= 4 * 2^-1074 (a few units of the smallest subnormal).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { normCdfRef, normPdfRef } from '../src/reference/normal.js';

interface Fixture { rows: [number, number, number][] }
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/normal.json', import.meta.url), 'utf8'),
) as Fixture;

const kernels = instantiateKernels();
const wasmCdf = kernels.normCdf as (x: number) => number;
const wasmPdf = kernels.normPdf as (x: number) => number;

const REL_TOL = 1e-14;
const MIN_NORMAL = 2.2250738585072014e-308;
const SUBNORMAL_ABS_TOL = 4 * 5e-324;

type F = (x: number) => number;
const impls: [string, F, F][] = [
  ['wasm (Cody)', wasmCdf, wasmPdf],
  ['reference (series + continued fraction)', normCdfRef, normPdfRef],
];

/** Worst error of f over the fixture column `c`; fails listing the first offending inputs. */
function check(f: F, c: 1 | 2): { maxRel: number; maxAbsSub: number } {
  let maxRel = 0;
  let maxAbsSub = 0;
  const bad: string[] = [];
  for (const row of fixture.rows) {
    const x = row[0];
    const exact = row[c];
    const got = f(x);
    if (exact >= MIN_NORMAL) {
      const rel = Math.abs(got - exact) / exact;
      if (!(rel <= REL_TOL)) bad.push(`x=${x}: got ${got}, exact ${exact}, relative error ${rel}`);
      if (rel > maxRel) maxRel = rel;
    } else {
      const abs = Math.abs(got - exact);
      if (!(abs <= SUBNORMAL_ABS_TOL)) bad.push(`x=${x}: got ${got}, exact ${exact}, absolute error ${abs}`);
      if (abs > maxAbsSub) maxAbsSub = abs;
    }
  }
  expect(bad.slice(0, 10), `${bad.length} points out of tolerance`).toEqual([]);
  return { maxRel, maxAbsSub };
}

describe('normal distribution against mpmath (fixture)', () => {
  it('fixture covers [-38, 9] including the subnormal tail', () => {
    const xs = fixture.rows.map((r) => r[0]);
    expect(fixture.rows.length).toBeGreaterThan(3000);
    expect(Math.min(...xs)).toBe(-38);
    expect(Math.max(...xs)).toBe(9);
    expect(fixture.rows.some((r) => r[1] > 0 && r[1] < MIN_NORMAL)).toBe(true);
  });

  for (const [name, cdf, pdf] of impls) {
    it(`${name}: N(x) within ${REL_TOL} relative`, () => {
      const { maxRel, maxAbsSub } = check(cdf, 1);
      console.log(`${name} N(x): max relative error ${maxRel.toExponential(3)}, ` +
        `max absolute error on subnormal values ${maxAbsSub}`);
    });
    it(`${name}: phi(x) within ${REL_TOL} relative`, () => {
      const { maxRel, maxAbsSub } = check(pdf, 2);
      console.log(`${name} phi(x): max relative error ${maxRel.toExponential(3)}, ` +
        `max absolute error on subnormal values ${maxAbsSub}`);
    });
  }
});

describe('normal distribution invariants and special values', () => {
  for (const [name, cdf, pdf] of impls) {
    it(`${name}: N(x) + N(-x) = 1 within 3e-16 (about one ulp of 1)`, () => {
      for (const row of fixture.rows) {
        const x = row[0];
        const s = cdf(x) + cdf(-x);
        expect(Math.abs(s - 1), `x=${x}: N(x)=${cdf(x)}, N(-x)=${cdf(-x)}`).toBeLessThanOrEqual(3e-16);
        expect(pdf(-x), `phi symmetric at x=${x}`).toBe(pdf(x));
      }
    });

    it(`${name}: N(0) = 1/2 and phi(0) = 1/sqrt(2 pi) exactly`, () => {
      expect(cdf(0)).toBe(0.5);
      expect(cdf(-0)).toBe(0.5);
      expect(pdf(0)).toBe(1 / Math.sqrt(2 * Math.PI));
    });

    it(`${name}: NaN, infinities and saturation`, () => {
      expect(cdf(NaN)).toBeNaN();
      expect(pdf(NaN)).toBeNaN();
      expect(cdf(-Infinity)).toBe(0);
      expect(cdf(Infinity)).toBe(1);
      expect(pdf(-Infinity)).toBe(0);
      expect(pdf(Infinity)).toBe(0);
      expect(cdf(-39)).toBe(0); // N(-39) ~ 1e-333, below the smallest double
      expect(cdf(-1e300)).toBe(0);
      expect(cdf(1e300)).toBe(1);
      expect(cdf(9)).toBe(1); // 1 - 1.1e-19 rounds to 1
      expect(pdf(1e300)).toBe(0);
      expect(cdf(-38.4)).toBeGreaterThan(0); // still a subnormal, not flushed to zero
    });

    it(`${name}: N is non-decreasing across the fixture grid`, () => {
      const xs = fixture.rows.map((r) => r[0]);
      for (let i = 1; i < xs.length; i++) {
        expect(cdf(xs[i]!), `between x=${xs[i - 1]} and x=${xs[i]}`).toBeGreaterThanOrEqual(cdf(xs[i - 1]!));
      }
    });
  }
});
