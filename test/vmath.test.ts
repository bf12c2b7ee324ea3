/**
 * The vector elementary functions (assembly/vmath.ts: exp and log on two f64 lanes) against
 * JavaScript's Math.exp and Math.log, through the vmathMap kernel.
 *
 * Bound: every result within 1 ulp of Math's (the distance in representable doubles, so a result
 * just past the largest double counts Infinity as one step further, and 0 one step below the
 * smallest subnormal). Math.exp and Math.log are themselves within 1 ulp of the exact value, so two
 * results 1 ulp apart are both faithful roundings; 2 ulps apart would prove one of them wrong.
 * Special values (0, -0, +-Infinity, NaN, negative arguments of log) must match exactly.
 *
 * Ranges: exp over its whole finite domain [-745.2, 709.8] (including the subnormal results below
 * -708.4 and the overflow edge), [-1, 1], tiny arguments; log over every binade of positive
 * doubles (bit patterns drawn uniformly, subnormals included), [0.5, 2] and around 1.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { STATUS_BAD_ARGUMENT, STATUS_OK, VMATH_EXP, VMATH_LOG, VMATH_SCALAR } from '../src/layout.js';
import { Rng } from './helpers/random.js';
const ULP_BOUND = 1;

const kernels = instantiateKernels();
const arena = new Arena(kernels);
const vmathMap = kernels.vmathMap as (op: number, x: number, n: number, out: number) => number;

/** Applies operation `op` to xs in WebAssembly; returns a copy of the results. */
function apply(op: number, xs: ArrayLike<number>): Float64Array {
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

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function bits(x: number): bigint { f64[0] = x; return i64[0]; }
function fromBits(b: bigint): number { i64[0] = b; return f64[0]; }

/** Distance in ulps between two non-NaN doubles of the same sign (Infinity for different signs). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  if ((a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0))) return a === 0 && b === 0 ? 0 : Infinity;
  const d = bits(a) - bits(b);
  return Number(d < 0n ? -d : d);
}

interface Stats { n: number; max: number; at: number; histogram: number[] }

/** Compares op(xs) with ref element by element; fails listing the first inputs beyond the bound. */
function check(op: number, ref: (x: number) => number, xs: ArrayLike<number>, label: string): Stats {
  const got = apply(op, xs);
  const histogram = [0, 0, 0];
  let max = 0, at = NaN;
  const bad: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    const want = ref(xs[i]);
    const u = ulps(got[i], want);
    histogram[Math.min(u, 2)]++;
    if (u > max) { max = u; at = xs[i]; }
    if (!(u <= ULP_BOUND) && bad.length < 10) bad.push(`x=${xs[i]}: got ${got[i]}, Math gives ${want} (${u} ulps)`);
  }
  console.log(`${label}: ${xs.length} points, max ${max} ulp${max > 0 ? ` (first at x = ${at})` : ""}; exact ${histogram[0]}, 1 ulp ${histogram[1]}`);
  expect(bad, `${label}: points beyond ${ULP_BOUND} ulp`).toEqual([]);
  return { n: xs.length, max, at, histogram };
}

function uniform(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
}

describe('vector exp against Math.exp', () => {
  const rng = new Rng(20261121);

  it(`whole domain [-745.2, 709.8] within ${ULP_BOUND} ulp`, () => {
    check(VMATH_EXP, Math.exp, uniform(rng, 200_000, -745.2, 709.8), 'exp [-745.2, 709.8]');
  });

  it(`[-1, 1] and tiny arguments within ${ULP_BOUND} ulp`, () => {
    check(VMATH_EXP, Math.exp, uniform(rng, 100_000, -1, 1), 'exp [-1, 1]');
    const tiny = Float64Array.from({ length: 20_000 }, () => (rng.next() < 0.5 ? -1 : 1) * Math.pow(10, rng.uniform(-320, -5)));
    check(VMATH_EXP, Math.exp, tiny, 'exp tiny |x|');
  });

  it(`subnormal results (x in [-745.14, -708.4]) within ${ULP_BOUND} ulp of the subnormal grid`, () => {
    check(VMATH_EXP, Math.exp, uniform(rng, 100_000, -745.14, -708.4), 'exp subnormal results');
  });

  it(`the overflow edge within ${ULP_BOUND} ulp (Infinity one step past the largest double)`, () => {
    const xs = uniform(rng, 20_000, 709.7, 709.79);
    check(VMATH_EXP, Math.exp, xs, 'exp overflow edge');
  });

  it('multiples of ln 2 and the reduction boundaries (k ln2 +- ln2/2)', () => {
    const xs: number[] = [];
    for (let k = -1074; k <= 1023; k++) for (const d of [0, 0.5, -0.5, 1e-9, -1e-9]) xs.push((k + d) * Math.LN2);
    check(VMATH_EXP, Math.exp, xs.filter((x) => x > -745.2 && x < 709.8), 'exp near k ln2');
  });

  it('special values exactly', () => {
    const xs = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1e300, -1e300, 709.782712893384, 709.7827128933841,
      -745.1332191019411, -745.1332191019412, -746, 800, -800];
    const got = apply(VMATH_EXP, xs);
    xs.forEach((x, i) => {
      const want = Math.exp(x);
      if (Number.isFinite(want) && want !== 0 && want !== 1) expect(ulps(got[i], want), `exp(${x})`).toBeLessThanOrEqual(ULP_BOUND);
      else expect(Object.is(got[i], want), `exp(${x}) = ${got[i]}, expected ${want}`).toBe(true);
    });
  });
});

describe('vector log against Math.log', () => {
  const rng = new Rng(7);

  it(`every binade of positive doubles (bit patterns, subnormals included) within ${ULP_BOUND} ulp`, () => {
    // Uniform over the bit patterns of finite positive doubles: exponent field 0..2046, random mantissa.
    const xs = Float64Array.from({ length: 200_000 }, () => {
      const exp = BigInt(rng.int(0, 2046));
      const mant = (BigInt(rng.int(0, 2 ** 26 - 1)) << 26n) | BigInt(rng.int(0, 2 ** 26 - 1));
      const x = fromBits((exp << 52n) | mant);
      return x === 0 ? 5e-324 : x;
    });
    check(VMATH_LOG, Math.log, xs, 'log all binades');
  });

  it(`[0.5, 2], around 1 and subnormals within ${ULP_BOUND} ulp`, () => {
    check(VMATH_LOG, Math.log, uniform(rng, 100_000, 0.5, 2), 'log [0.5, 2]');
    const near1 = Float64Array.from({ length: 50_000 }, () => 1 + (rng.next() - 0.5) * Math.pow(10, rng.uniform(-15, -2)));
    check(VMATH_LOG, Math.log, near1, 'log near 1');
    const steps = Float64Array.from({ length: 2_000 }, (_, i) => fromBits(bits(1) + BigInt(i - 1000)));
    check(VMATH_LOG, Math.log, steps, 'log 1 +- k ulp');
    check(VMATH_LOG, Math.log, uniform(rng, 50_000, 0, 2.2250738585072014e-308).map((x) => x || 5e-324), 'log subnormal');
  });

  it('powers of two and the extremes exactly or within the bound', () => {
    const xs: number[] = [];
    for (let e = -1074; e <= 1023; e++) xs.push(2 ** e);
    xs.push(Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308);
    check(VMATH_LOG, Math.log, xs, 'log powers of two');
  });

  it('special values exactly', () => {
    const xs = [1, 0, -0, -1, -Infinity, Infinity, NaN, -5e-324];
    const got = apply(VMATH_LOG, xs);
    xs.forEach((x, i) => {
      expect(Object.is(got[i], Math.log(x)), `log(${x}) = ${got[i]}, expected ${Math.log(x)}`).toBe(true);
    });
  });
});

describe('lanes are independent', () => {
  it('a result does not depend on its neighbour lane or on the parity of the count', () => {
    const rng = new Rng(3);
    const xs = Float64Array.from({ length: 4001 }, () => rng.uniform(-50, 50));
    const logs = xs.map(Math.abs);
    for (const [op, input] of [[VMATH_EXP, xs], [VMATH_LOG, logs]] as const) {
      const whole = apply(op, input);
      const shifted = apply(op, input.subarray(1)); // every element paired with another neighbour
      for (let i = 1; i < input.length; i++) {
        if (!Object.is(whole[i], shifted[i - 1])) throw new Error(`op ${op}: x=${input[i]} gives ${whole[i]} and ${shifted[i - 1]}`);
      }
      const single = apply(op, [input[2000]]);
      expect(Object.is(single[0], whole[2000])).toBe(true);
    }
  });

  it('the scalar operation codes give AssemblyScript Math, and bad arguments are refused', () => {
    const xs = [0.5, 1, 2, 10];
    const e = apply(VMATH_EXP + VMATH_SCALAR, xs);
    const l = apply(VMATH_LOG + VMATH_SCALAR, xs);
    xs.forEach((x, i) => {
      expect(ulps(e[i], Math.exp(x))).toBeLessThanOrEqual(1);
      expect(ulps(l[i], Math.log(x))).toBeLessThanOrEqual(1);
    });
    const p = arena.allocF64(2);
    expect(vmathMap(8, p, 1, p)).toBe(STATUS_BAD_ARGUMENT);
    expect(vmathMap(-1, p, 1, p)).toBe(STATUS_BAD_ARGUMENT);
    expect(vmathMap(0, p, -1, p)).toBe(STATUS_BAD_ARGUMENT);
  });
});
