// x^y by an exactly specified algorithm (src/math/pow.ts), and the host factors computed with it
// instead of Math.pow, whose last bit changed between Node 22 and 24.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pow } from '../src/math/pow.js';
import { tenorWeight } from '../src/scenarios/grid.js';
import { volWeight } from '../src/market/grid-spec.js';
import { generateBook } from '../src/demo/book.js';
import type { GridSpec, MarketInput } from '../src/market/types.js';
import { Rng } from './helpers/random.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function bits(x: number): bigint { f64[0] = x; return i64[0]; }
/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number { return Math.abs(Number(bits(a) - bits(b))); }

/** The exponent e and integer mantissa m of a positive finite double, x = m 2^e exactly. */
function decompose(x: number): { m: bigint; e: number } {
  let e = 0;
  while (!Number.isInteger(x)) { x *= 2; e--; }
  return { m: BigInt(x), e };
}

/** v 2^k, exact while the result is a normal number (applied in steps that stay between v and the result). */
function scale2(v: number, k: number): number {
  while (k > 1000) { v *= 2 ** 1000; k -= 1000; }
  while (k < -1000) { v *= 2 ** -1000; k += 1000; }
  return v * 2 ** k;
}

/**
 * x^n for an integer n and x > 0 whose result is a normal number, correctly rounded but for ties
 * within 2^-64 relative: the exact power in integers, cut to 64 significant bits or more, rounded once.
 */
function exactIntPow(x: number, n: number): number {
  const { m, e } = decompose(x);
  const N = m ** BigInt(Math.abs(n));
  const L = N.toString(2).length;
  if (n >= 0) {
    const cut = Math.max(0, L - 64);
    return scale2(Number(N >> BigInt(cut)), e * n + cut);
  }
  const S = L + 64; // 2^S / N has 64 or 65 bits
  return scale2(Number((1n << BigInt(S)) / N), e * n - S);
}

/**
 * SHA-256 (first 16 hex digits) of f over 300,000 seeded arguments: 100,000 each of tenor-weight
 * arguments (x in (0.01, 40), y in (0, 2)), general ones (x in (0, 1000), y in (-10, 10)), and x
 * near 1 with large y.
 */
function sampleDigest(f: (x: number, y: number) => number): string {
  const rng = new Rng(20261203);
  const out = new Float64Array(300_000);
  let k = 0;
  for (let i = 0; i < 100_000; i++) out[k++] = f(rng.uniform(0.01, 40), rng.uniform(0, 2));
  for (let i = 0; i < 100_000; i++) out[k++] = f(rng.uniform(0, 1000), rng.uniform(-10, 10));
  for (let i = 0; i < 100_000; i++) out[k++] = f(1 + rng.uniform(-1e-6, 1e-6), rng.uniform(-1e9, 1e9));
  return createHash('sha256').update(new Uint8Array(out.buffer)).digest('hex').slice(0, 16);
}
/**
 * sampleDigest(Math.pow) on Node 20 and on Node 22 (V8's fdlibm port, the same digest on both):
 * what results computed on those versions were built on. Node 24's Math.pow gives another digest.
 */
const V8_LEGACY_POW_DIGEST = 'f844cbd60eff7903';

describe('pow (fdlibm, as V8 ported it)', () => {
  it('is exact where x^y is representable', () => {
    expect(pow(2, 10)).toBe(1024);
    expect(pow(2, -1074)).toBe(5e-324);
    expect(pow(2, 1023)).toBe(8.98846567431158e307);
    expect(pow(10, 15)).toBe(1e15);
    expect(pow(3, 33)).toBe(5559060566555523);
    expect(pow(0.5, 3)).toBe(0.125);
    expect(pow(1.5, 4)).toBe(5.0625);
    expect(pow(16, 0.25)).toBe(2);
    expect(pow(81, 0.75)).toBe(27);
    expect(pow(2.25, 0.5)).toBe(1.5);
    expect(pow(-2, 5)).toBe(-32);
    expect(pow(-3, -2)).toBe(1 / 9);
    // Every integer power of 2..30 that is an integer below 2^53.
    for (let x = 2; x <= 30; x++) {
      for (let n = 2; x ** n < 2 ** 53; n++) expect(pow(x, n), `${x}^${n}`).toBe(Number(BigInt(x) ** BigInt(n)));
    }
  });

  it('is within one unit in the last place of x^n for integer n (seeded random x)', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 20_000; i++) {
      const x = rng.uniform(0.05, 20), n = rng.int(-40, 40);
      expect(ulps(pow(x, n), exactIntPow(x, n)), `${x}^${n}`).toBeLessThanOrEqual(1);
    }
  });

  it("gives ECMAScript's special values", () => {
    const I = Infinity;
    const cases: [number, number, number][] = [
      [NaN, 0, 1], [NaN, -0, 1], [2, NaN, NaN], [NaN, 1, NaN], [1, NaN, NaN],
      [1, I, NaN], [-1, I, NaN], [1, -I, NaN], [-1, -I, NaN],
      [2, I, I], [2, -I, 0], [0.5, I, 0], [0.5, -I, I], [-2, I, I], [-0.5, -I, I],
      [I, 2, I], [I, -2, 0], [-I, 3, -I], [-I, 2, I], [-I, -3, -0], [-I, -2, 0],
      [0, 3, 0], [0, -3, I], [-0, 3, -0], [-0, 2, 0], [-0, -3, -I], [-0, -2, I], [-0, 0.5, 0], [-0, -0.5, I],
      [-8, 1 / 3, NaN], [-2, 0.5, NaN], [-2, 3, -8], [-2, 2, 4], [-1, 2 ** 60, 1],
      [1, 12.5, 1], [7, 1, 7], [7, -1, 1 / 7], [7, 0, 1], [0, 0, 1],
      [2, 1024, I], [2, -1075, 0], [-2, 1025, -I], [1e300, 2, I], [0.5, 2 ** 70, 0], [2, -(2 ** 70), 0],
    ];
    for (const [x, y, want] of cases) expect(pow(x, y), `pow(${x}, ${y})`).toBe(want);
  });

  it("gives V8's fdlibm port (Math.pow of Node 20 and 22) bit for bit on 300,000 seeded arguments", () => {
    expect(sampleDigest(pow)).toBe(V8_LEGACY_POW_DIGEST);
  });
});

describe('host factors that do not depend on the Node version', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  const spec = { points: [], underlyings: new Map(), groups: new Map(), horizonDays: 0, shortOptionMinimum: 0,
    longOptionMinimum: 0, maintenanceRatio: 1, volTerm: { refDays: 30, power: 0.3, floorDays: 7 } } as unknown as GridSpec;
  const Ts = [36 / 365, 1 / 365, 0.5, 2.25, -0.1];

  it('the tenor weight of the grid is pow((refDays / max(floorDays, 365 T)), power), not Math.pow', () => {
    vi.spyOn(Math, 'pow').mockImplementation(() => { throw new Error('Math.pow called'); });
    const got = Ts.map((T) => [tenorWeight(spec, T), volWeight(spec, T)]);
    vi.restoreAllMocks();
    Ts.forEach((T, i) => {
      const want = pow(30 / Math.max(7, 365 * T), 0.3);
      expect(got[i]).toEqual([want, want]);
    });
    // (30/36)^0.3 = exp(0.3 ln(30/36)), to 2e-16 relative.
    expect(Math.abs(got[0][0] / Math.exp(0.3 * Math.log(30 / 36)) - 1)).toBeLessThan(2e-16);
    expect(got[1][0]).toBe(pow(30 / 7, 0.3)); // floored at 7 days
  });

  it('the demo book is generated without Math.pow, the same book', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const market = JSON.parse(readFileSync(join(root, 'examples', 'market.json'), 'utf8')) as MarketInput;
    const plain = generateBook(market, { portfolios: 300 });
    vi.spyOn(Math, 'pow').mockImplementation(() => { throw new Error('Math.pow called'); });
    let stubbed: string | Error;
    try { stubbed = generateBook(market, { portfolios: 300 }); } catch (e) { stubbed = e as Error; }
    vi.restoreAllMocks();
    expect(stubbed).toBe(plain);
  });
});
