/**
 * The statistics of margin backtesting (src/backtest/stats.ts): Kupiec, Christoffersen, conditional
 * coverage, the binomial CDF and Basel's traffic-light zones, the chi-squared survival functions,
 * and the coverage and procyclicality measures of a margin series, per portfolio and pooled.
 *
 * Fixture: test/fixtures/backtest-stats.json, written by scripts/backtest-fixture.py: LR values,
 * p-values and binomial probabilities with mpmath at 50 digits from their definitions (rounded
 * once), and beside them the same p-values and probabilities from scipy.stats (chi2.sf, binom.cdf,
 * binom.sf), which agree with them to 1e-12.
 *
 * Tolerances (relative): LR values 1e-13; a p-value of a statistic s 1e-14 + s * 4e-16 (the
 * condition number of exp(-s/2) is s/2: a few ulps of s become s/2 times as many in the far tail);
 * binomial probability P 1e-14 + |ln P| * 2.3e-16 (the same argument); zones and zone boundaries exact. Against scipy, 1e-12 throughout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  backtestStats, binomialCdf, binomialSf, bookStats, chi2Sf1, chi2Sf2, christoffersen, christoffersenLr,
  conditionalCoverage, kupiec, kupiecLr, maxRise, peakToTrough, trafficLight, transitions, xlogy,
  zoneBoundaries, zoneOf, type Zone,
} from '../src/backtest/stats.js';
import { InputError } from '../src/errors.js';

interface Fixture {
  kupiec: { n: number; x: number; p: number; lr: number; pValue: number; scipyP: number }[];
  christoffersen: {
    name: string; hits: string; p: number; n00: number; n01: number; n10: number; n11: number;
    lrInd: number; pInd: number; lrUc: number; pUc: number; lrCc: number; pCc: number;
    scipyPInd: number; scipyPUc: number; scipyPCc: number;
  }[];
  zones: { n: number; p: number; yellowFrom: number; redFrom: number }[];
  binomial: { n: number; p: number; x: number; cdf: number; sf: number; scipyCdf: number; scipySf: number }[];
  chi2: { x: number; sf1: number; sf2: number; scipySf1: number; scipySf2: number }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/backtest-stats.json', import.meta.url), 'utf8'),
) as Fixture;

const LR_TOL = 1e-13;
const P_TOL = 1e-14;
/** Tolerance of a p-value computed from the statistic s. */
const pTol = (s: number): number => P_TOL + s * 4e-16;
/** Tolerance of a binomial probability P: 1e-14 + |ln P| * 2.3e-16 (each term is the exp of a sum
 * of size |ln P|, whose last-place error exp turns into a relative one). */
const binomTol = (v: number): number => 1e-14 + Math.abs(Math.log(v)) * 2.3e-16;
const SCIPY_TOL = 1e-12;

/** |got - want| <= tol * |want| (exact equality for 0). */
function rel(got: number, want: number): number {
  if (got === want) return 0;
  return Math.abs(got - want) / Math.abs(want);
}

function expectRel(got: number, want: number, tol: number, what: string): void {
  expect(rel(got, want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol);
}

const hitsOf = (s: string): number[] => [...s].map((c) => (c === '1' ? 1 : 0));

describe('Kupiec proportion of failures', () => {
  it('matches the 50-digit fixture for every case (n = 250, p = 0.01, x = 0..10, larger n, p = 0.025)', () => {
    const at250 = fixture.kupiec.filter((c) => c.n === 250 && c.p === 0.01).map((c) => c.x);
    for (let x = 0; x <= 10; x++) expect(at250).toContain(x);
    for (const c of fixture.kupiec) {
      const t = kupiec(c.n, c.x, c.p);
      expectRel(t.lr, c.lr, LR_TOL, `LR_uc(n=${c.n}, x=${c.x}, p=${c.p})`);
      expectRel(t.p, c.pValue, pTol(c.lr), `p-value(n=${c.n}, x=${c.x}, p=${c.p})`);
      expectRel(t.p, c.scipyP, SCIPY_TOL, `p-value against scipy (n=${c.n}, x=${c.x}, p=${c.p})`);
    }
  });

  it('hand-worked: n = 250, x = 5, p = 0.01 is 2 [5 ln 2 + 245 ln(98/99)] = 1.95680978823063', () => {
    // x/n = 0.02: -2 ln[(0.99)^245 (0.01)^5] + 2 ln[(0.98)^245 (0.02)^5] = 2 [5 ln(0.02/0.01) + 245 ln(0.98/0.99)]
    const byHand = 2 * (5 * Math.LN2 + 245 * Math.log(98 / 99));
    expect(Math.abs(byHand - 1.95680978823063)).toBeLessThan(1e-13);
    expectRel(kupiecLr(250, 5, 0.01), 1.95680978823063, 1e-14, 'LR_uc');
    // p-value: P(chi2_1 > 1.9568) = erfc(sqrt(1.9568 / 2)) = 0.161854917196042 (50 digits)
    expectRel(kupiec(250, 5, 0.01).p, 0.161854917196042, 1e-14, 'p-value');
  });

  it('x = 0 and x = n have the closed forms -2 n ln(1-p) and -2 n ln p (0 ln 0 = 0)', () => {
    for (const [n, p] of [[250, 0.01], [1, 0.3], [1000, 0.025], [1e6, 0.01]] as const) {
      expectRel(kupiecLr(n, 0, p), -2 * n * Math.log1p(-p), 1e-14, `x = 0, n = ${n}`);
      expectRel(kupiecLr(n, n, p), -2 * n * Math.log(p), 1e-14, `x = n, n = ${n}`);
    }
  });

  it('is exactly 0 when x / n = p exactly, and below 1e-25 when p is the double nearest x / n', () => {
    for (const [n, x, p] of [[100, 25, 0.25], [1280, 10, 2 ** -7], [2, 1, 0.5], [64000, 1000, 1 / 64], [8, 7, 0.875]] as const) {
      expect(kupiecLr(n, x, p), `n=${n} x=${x} p=${p}`).toBe(0);
    }
    // 0.01 is not x/n exactly for any n; the LR of the nearest case is tiny but positive
    for (const m of [1, 3, 10, 1000]) {
      const lr = kupiecLr(100 * m, m, 0.01);
      expect(lr).toBeGreaterThanOrEqual(0);
      expect(lr).toBeLessThan(1e-25);
    }
  });

  it('is smallest at the x nearest n p and grows away from it', () => {
    const n = 250, p = 0.01; // n p = 2.5
    const lr = Array.from({ length: 40 }, (_, x) => kupiecLr(n, x, p));
    for (let x = 1; x <= 2; x++) expect(lr[x]).toBeLessThan(lr[x - 1]);
    for (let x = 4; x < 40; x++) expect(lr[x]).toBeGreaterThan(lr[x - 1]);
  });

  it('rejects arguments outside its domain', () => {
    for (const [n, x, p] of [[0, 0, 0.01], [10, 11, 0.01], [10, -1, 0.01], [10, 1.5, 0.01], [NaN, 1, 0.01],
      [10, 1, 0], [10, 1, 1], [10, 1, NaN], [Infinity, 1, 0.01]]) {
      expect(() => kupiecLr(n, x, p), `n=${n} x=${x} p=${p}`).toThrow(InputError);
    }
  });
});

describe('Christoffersen independence and conditional coverage', () => {
  it('matches the fixture for every hand-built sequence, edge cases included', () => {
    expect(fixture.christoffersen.length).toBeGreaterThanOrEqual(12);
    for (const c of fixture.christoffersen) {
      const hits = hitsOf(c.hits);
      const tr = transitions(hits);
      expect(tr, c.name).toEqual({ n00: c.n00, n01: c.n01, n10: c.n10, n11: c.n11 });
      const ind = christoffersen(tr);
      if (c.lrInd === 0) expect(ind.lr, c.name).toBe(0);
      else expectRel(ind.lr, c.lrInd, LR_TOL, `LR_ind ${c.name}`);
      expectRel(ind.p, c.pInd, pTol(c.lrInd), `p_ind ${c.name}`);
      expectRel(ind.p, c.scipyPInd, SCIPY_TOL, `p_ind against scipy ${c.name}`);
      const x = hits.reduce((a, b) => a + b, 0);
      const uc = kupiec(hits.length, x, c.p);
      expectRel(uc.lr, c.lrUc, LR_TOL, `LR_uc ${c.name}`);
      const cc = conditionalCoverage(uc.lr, ind.lr);
      expectRel(cc.lr, c.lrCc, LR_TOL, `LR_cc ${c.name}`);
      expectRel(cc.p, c.pCc, pTol(c.lrCc), `p_cc ${c.name}`);
      expectRel(cc.p, c.scipyPCc, SCIPY_TOL, `p_cc against scipy ${c.name}`);
      expectRel(uc.p, c.pUc, pTol(c.lrUc), `p_uc ${c.name}`);
    }
  });

  it('hand-worked: 0111000010 has n00 = 3, n01 = 2, n10 = 2, n11 = 2 and LR_ind = 0.0900142641796934', () => {
    const tr = transitions(hitsOf('0111000010'));
    expect(tr).toEqual({ n00: 3, n01: 2, n10: 2, n11: 2 });
    // pi01 = 2/5, pi11 = 2/4, pi = 4/9:
    // LR_ind = 2 [3 ln(3/5) + 2 ln(2/5) + 2 ln(1/2) + 2 ln(1/2) - 5 ln(5/9) - 4 ln(4/9)]
    const byHand = 2 * (3 * Math.log(3 / 5) + 2 * Math.log(2 / 5) + 4 * Math.log(1 / 2)
      - 5 * Math.log(5 / 9) - 4 * Math.log(4 / 9));
    expect(Math.abs(byHand - 0.0900142641796934)).toBeLessThan(1e-15);
    expectRel(christoffersenLr(tr), 0.0900142641796934, 1e-14, 'LR_ind');
  });

  it('edge cases are 0 with p-value 1: no transitions, no hits, all hits, empty rows or columns', () => {
    for (const s of ['', '0', '1', '0000', '1111', '1000', '0001', '1110', '0111', '01', '10']) {
      const t = christoffersen(transitions(hitsOf(s)));
      expect(t, s).toEqual({ lr: 0, p: 1 });
    }
    // independent counts: n00 n11 = n01 n10
    expect(christoffersenLr({ n00: 4, n01: 2, n10: 2, n11: 1 })).toBe(0);
  });

  it('clustering is detected: a run of 4 hits scores far above the same hits spread out', () => {
    const clustered = christoffersenLr(transitions(hitsOf('0'.repeat(120) + '1111' + '0'.repeat(126))));
    const spread = christoffersenLr(transitions(hitsOf(('0'.repeat(61) + '1').repeat(4) + '0'.repeat(2))));
    expect(clustered).toBeGreaterThan(10);
    expect(spread).toBeLessThan(0.2);
  });

  it('rejects counts that are not non-negative integers', () => {
    expect(() => christoffersenLr({ n00: -1, n01: 0, n10: 0, n11: 0 })).toThrow(InputError);
    expect(() => christoffersenLr({ n00: 1.5, n01: 0, n10: 0, n11: 0 })).toThrow(InputError);
    expect(() => christoffersenLr({ n00: NaN, n01: 0, n10: 0, n11: 0 })).toThrow(InputError);
    expect(() => conditionalCoverage(NaN, 0)).toThrow(InputError);
  });
});

describe('chi-squared survival functions', () => {
  it('match their 50-digit values and scipy.stats.chi2.sf, 1 and 2 dof, from 1e-300 to 1400', () => {
    for (const c of fixture.chi2) {
      expectRel(chi2Sf1(c.x), c.sf1, pTol(c.x), `sf1(${c.x})`);
      expectRel(chi2Sf2(c.x), c.sf2, pTol(c.x), `sf2(${c.x})`);
      expectRel(chi2Sf1(c.x), c.scipySf1, SCIPY_TOL, `sf1(${c.x}) against scipy`);
      expectRel(chi2Sf2(c.x), c.scipySf2, SCIPY_TOL, `sf2(${c.x}) against scipy`);
    }
  });

  it('are 1 at and below 0, 0 at infinity, and reject NaN', () => {
    for (const f of [chi2Sf1, chi2Sf2]) {
      expect(f(0)).toBe(1);
      expect(f(-1)).toBe(1);
      expect(f(Infinity)).toBe(0);
      expect(() => f(NaN)).toThrow(InputError);
    }
  });
});

describe('binomial distribution and traffic-light zones', () => {
  it('P(X <= x) and P(X > x) match their 50-digit values and scipy.stats.binom, n up to 1e6', () => {
    for (const c of fixture.binomial) {
      expectRel(binomialCdf(c.x, c.n, c.p), c.cdf, binomTol(c.cdf), `cdf(${c.x}; ${c.n}, ${c.p})`);
      expectRel(binomialSf(c.x, c.n, c.p), c.sf, binomTol(c.sf), `sf(${c.x}; ${c.n}, ${c.p})`);
      expectRel(binomialCdf(c.x, c.n, c.p), c.scipyCdf, SCIPY_TOL, `cdf(${c.x}; ${c.n}, ${c.p}) against scipy`);
      expectRel(binomialSf(c.x, c.n, c.p), c.scipySf, SCIPY_TOL, `sf(${c.x}; ${c.n}, ${c.p}) against scipy`);
    }
  });

  it('hand-worked: n = 3, p = 0.3: P(X <= 0) = 0.343, P(X <= 1) = 0.784, P(X <= 2) = 0.973', () => {
    expectRel(binomialCdf(0, 3, 0.3), 0.7 ** 3, 1e-15, 'x = 0');
    expectRel(binomialCdf(1, 3, 0.3), 0.343 + 3 * 0.3 * 0.49, 1e-15, 'x = 1');
    expectRel(binomialCdf(2, 3, 0.3), 1 - 0.027, 1e-15, 'x = 2');
  });

  it('degenerate arguments: x < 0, x >= n, p = 0, p = 1', () => {
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialCdf(0, 10, 0)).toBe(1);
    expect(binomialCdf(9, 10, 1)).toBe(0);
    expect(() => binomialCdf(1.5, 10, 0.5)).toThrow(InputError);
    expect(() => binomialCdf(1, 10, NaN)).toThrow(InputError);
  });

  it('zone boundaries match the fixture exactly (n = 250 and 500 at p = 0.01, and more)', () => {
    const z250 = fixture.zones.find((z) => z.n === 250 && z.p === 0.01)!;
    expect(z250).toMatchObject({ yellowFrom: 5, redFrom: 10 }); // Basel: green 0-4, red 10 or more
    expect(fixture.zones.find((z) => z.n === 500 && z.p === 0.01)).toBeDefined();
    for (const z of fixture.zones) {
      expect(zoneBoundaries(z.n, z.p), `n=${z.n} p=${z.p}`).toEqual({ yellowFrom: z.yellowFrom, redFrom: z.redFrom });
      const zoneAt = (x: number): Zone => trafficLight(z.n, x, z.p).zone;
      if (z.yellowFrom > 0) expect(zoneAt(z.yellowFrom - 1)).toBe('green');
      expect(zoneAt(z.yellowFrom)).toBe(z.redFrom === z.yellowFrom ? 'red' : 'yellow');
      expect(zoneAt(z.redFrom - 1)).toBe(z.redFrom - 1 < z.yellowFrom ? 'green' : 'yellow');
      expect(zoneAt(z.redFrom)).toBe('red');
    }
  });

  it('Basel table at n = 250, p = 0.01: 0-4 green, 5-9 yellow, 10-250 red', () => {
    for (let x = 0; x <= 250; x++) {
      const want: Zone = x <= 4 ? 'green' : x <= 9 ? 'yellow' : 'red';
      expect(trafficLight(250, x, 0.01).zone, `x = ${x}`).toBe(want);
    }
  });

  it('zones and P(X <= x) are monotone in x', () => {
    const rank: Record<Zone, number> = { green: 0, yellow: 1, red: 2 };
    for (const [n, p] of [[250, 0.01], [500, 0.01], [1000, 0.025], [20, 0.1], [100000, 0.01]] as const) {
      let prevCdf = -1, prevRank = 0;
      for (let x = 0; x <= Math.min(n, 2000); x++) {
        const t = trafficLight(n, x, p);
        expect(t.cdf, `n=${n} p=${p} x=${x}`).toBeGreaterThanOrEqual(prevCdf);
        expect(rank[t.zone]).toBeGreaterThanOrEqual(prevRank);
        prevCdf = t.cdf; prevRank = rank[t.zone];
      }
      expect(prevRank).toBe(2);
    }
  });

  it('zoneOf applies the thresholds 0.95 and 0.9999 with green and yellow strictly below', () => {
    expect(zoneOf(0.9499999999999999)).toBe('green');
    expect(zoneOf(0.95)).toBe('yellow');
    expect(zoneOf(0.9998999999999999)).toBe('yellow');
    expect(zoneOf(0.9999)).toBe('red');
    expect(() => zoneOf(NaN)).toThrow(InputError);
  });
});

describe('coverage and procyclicality of a margin series', () => {
  it('xlogy: 0 ln 0 = 0', () => {
    expect(xlogy(0, 0)).toBe(0);
    expect(xlogy(2, Math.E)).toBe(2);
  });

  it('hand-worked five-date series: every field', () => {
    const margins = [100, 110, 99, 120, 120];
    const losses = [50, 115, -20, 0, 130];
    const r = backtestStats(margins, losses, 0.01);
    if (!r.ok) throw new Error(r.message);
    expect(r.observations).toBe(5);
    expect(r.exceedances).toBe(2); // 115 > 110 and 130 > 120
    expect(r.expected).toBeCloseTo(0.05, 15);
    expect(r.rate).toBe(0.4);
    expect(r.transitions).toEqual({ n00: 1, n01: 2, n10: 1, n11: 0 });
    expectRel(r.kupiecLr, kupiecLr(5, 2, 0.01), 0, 'LR_uc');
    expectRel(r.christoffersenLr, christoffersenLr({ n00: 1, n01: 2, n10: 1, n11: 0 }), 0, 'LR_ind');
    expect(r.ccLr).toBe(r.kupiecLr + r.christoffersenLr);
    expect(r.ccP).toBe(Math.exp(-r.ccLr / 2));
    expect(r.binomialCdf).toBe(binomialCdf(2, 5, 0.01));
    expect(r.zone).toBe('red'); // P(X <= 2) = 0.99990 >= 0.9999
    expect(r.worstShortfall).toBe(10);
    expect(r.worstIndex).toBe(4);
    expect(r.lossDays).toBe(3); // a loss of 0 is not a loss
    expectRel(r.meanCover!, (100 / 50 + 110 / 115 + 120 / 130) / 3, 1e-15, 'mean cover');
    expect(r.peakToTrough).toBe(120 / 99);
    expectRel(r.maxRise1!, (120 / 99 - 1) * 100, 1e-15, 'rise over 1 step');
    expect(r.maxRise1Index).toBe(3);
    expect(r.maxRise30).toBeNull(); // fewer than 31 dates
    expect(r.maxRise30Index).toBe(-1);
  });

  it('the hit sequences of the fixture give the fixture statistics through backtestStats', () => {
    for (const c of fixture.christoffersen) {
      const hits = hitsOf(c.hits);
      const margins = hits.map((_, t) => 1000 + 7 * (t % 5));
      const losses = hits.map((h, t) => (h ? margins[t] + 1 + (t % 3) : margins[t] - (t % 4)));
      const r = backtestStats(margins, losses, c.p);
      if (!r.ok) throw new Error(r.message);
      expect(r.exceedances).toBe(hits.reduce((a, b) => a + b, 0));
      expect(r.transitions).toEqual({ n00: c.n00, n01: c.n01, n10: c.n10, n11: c.n11 });
      expectRel(r.kupiecLr, c.lrUc, LR_TOL, `LR_uc ${c.name}`);
      expectRel(r.christoffersenP, c.pInd, pTol(c.lrInd), `p_ind ${c.name}`);
      expectRel(r.ccP, c.pCc, pTol(c.lrCc), `p_cc ${c.name}`);
    }
  });

  it('a margin equal to the loss is not an exceedance; a portfolio with no positions has none', () => {
    const r = backtestStats([5, 5, 5], [5, 4, 5], 0.01);
    expect(r.ok && r.exceedances).toBe(0);
    const empty = backtestStats(new Float64Array(250), new Float64Array(250), 0.01);
    if (!empty.ok) throw new Error(empty.message);
    expect(empty).toMatchObject({
      exceedances: 0, zone: 'green', lossDays: 0, meanCover: null, peakToTrough: 1,
      maxRise1: 0, maxRise30: 0, worstShortfall: 0, worstIndex: 0,
    });
    expectRel(empty.kupiecLr, -500 * Math.log1p(-0.01), 1e-14, 'LR_uc at x = 0');
  });

  it('rises: (M_t / M_{t-k} - 1) x 100, max over t; from 0 to 0 is 0 %, from 0 to a margin is unbounded (null)', () => {
    const growth = Array.from({ length: 40 }, (_, t) => 100 * 1.01 ** t);
    const r30 = maxRise(growth, 30);
    expectRel(r30.percent!, (1.01 ** 30 - 1) * 100, 1e-12, 'rise over 30 steps');
    const r1 = maxRise([10, 8, 9, 9, 12, 6], 1);
    expect(r1).toEqual({ percent: (12 / 9 - 1) * 100, index: 4 });
    expect(maxRise([10, 9, 8], 1)).toEqual({ percent: (9 / 10 - 1) * 100, index: 1 }); // only falls: the largest is negative
    expect(maxRise([0, 0, 5, 6], 1)).toEqual({ percent: null, index: 2 });
    expect(maxRise([0, 0, 0], 1)).toEqual({ percent: 0, index: 1 });
    expect(maxRise([1, 2], 30)).toEqual({ percent: null, index: -1 });
    expect(() => maxRise([1, 2], 0)).toThrow(InputError);
  });

  it('peak-to-trough: max M / min M; 1 for a zero series, null when the minimum is 0', () => {
    expect(peakToTrough([4, 8, 2, 6])).toBe(4);
    expect(peakToTrough([0, 0])).toBe(1);
    expect(peakToTrough([0, 3])).toBeNull();
  });

  it('bad series are errors as data naming the index; a bad p throws', () => {
    const cases: [number[], number[], RegExp][] = [
      [[1, 2, 3], [0, 0, NaN], /loss at index 2/],
      [[1, Infinity], [0, 0], /margin at index 1/],
      [[1, -1], [0, 0], /margin at index 1 is negative/],
      [[1, 2], [0], /differ in length/],
      [[], [], /no observations/],
      [[1e300, 1e300], [1e-300, 0], /mean cover is not finite/],
    ];
    for (const [m, l, msg] of cases) {
      const r = backtestStats(m, l, 0.01);
      expect(r.ok).toBe(false);
      if (!r.ok) { expect(r.code).toBe('E_INPUT'); expect(r.message).toMatch(msg); }
    }
    for (const p of [0, 1, NaN, -0.1]) expect(() => backtestStats([1], [0], p)).toThrow(InputError);
  });
});

describe('the book: pooled portfolios', () => {
  const a = { margins: [10, 10, 10, 10], losses: [0, 0, 11, 12] };  // ends on a hit: 0011
  const bad = { margins: [10, 10, 10, 10], losses: [0, NaN, 0, 0] };
  const b = { margins: [20, 30, 20, 20], losses: [25, 0, 0, 21] };  // starts on a hit: 1001

  it('pools counts without a transition across a portfolio boundary, and leaves out a bad portfolio', () => {
    const { portfolios, book } = bookStats([a, bad, b], 0.05);
    expect(portfolios.map((r) => r.ok)).toEqual([true, false, true]);
    if (!book.ok) throw new Error(book.message);
    expect(book.pooled).toEqual([0, 2]);
    expect(book.excluded).toEqual([1]);
    expect(book.observations).toBe(8);
    expect(book.exceedances).toBe(4);
    // 0011: n00 1, n01 1, n11 1; 1001: n10 1, n00 1, n01 1. Concatenated, 00111001 would add a 1 -> 1.
    expect(book.transitions).toEqual({ n00: 2, n01: 2, n10: 1, n11: 1 });
    expect(transitions(hitsOf('00111001'))).toEqual({ n00: 2, n01: 2, n10: 1, n11: 2 });
    expectRel(book.kupiecLr, kupiecLr(8, 4, 0.05), 0, 'pooled LR_uc');
    expectRel(book.christoffersenLr, christoffersenLr({ n00: 2, n01: 2, n10: 1, n11: 1 }), 0, 'pooled LR_ind');
    expect(book.zone).toBe(trafficLight(8, 4, 0.05).zone);
    // worst shortfall over all portfolio-dates: b at date 0 (25 - 20 = 5)
    expect([book.worstShortfall, book.worstPortfolio, book.worstIndex]).toEqual([5, 2, 0]);
    // mean cover over the 5 portfolio-dates with a loss
    expectRel(book.meanCover!, (10 / 11 + 10 / 12 + 20 / 25 + 20 / 21) / 4, 1e-15, 'mean cover');
    expect(book.lossDays).toBe(4);
    // procyclicality of the total margin 30, 40, 30, 30
    expect(book.peakToTrough).toBe(40 / 30);
    expectRel(book.maxRise1!, (40 / 30 - 1) * 100, 1e-15, 'book rise');
    expect(book.maxRise1Index).toBe(1);
  });

  it('is an error when nothing is left to pool or the pooled portfolios differ in length', () => {
    const none = bookStats([bad], 0.01).book;
    expect(none.ok).toBe(false);
    const short = { margins: [1, 2], losses: [0, 0] };
    const uneven = bookStats([a, short], 0.01);
    expect(uneven.portfolios.every((r) => r.ok)).toBe(true);
    expect(uneven.book.ok).toBe(false);
    if (!uneven.book.ok) expect(uneven.book.message).toMatch(/portfolio 1 has 2 dates/);
  });
});
