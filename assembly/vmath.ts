// Elementary functions on two f64 lanes at once (WebAssembly SIMD, f64x2), for the vector kernels:
// AssemblyScript's Math is scalar only.
//
// Both functions are accurate to within one unit in the last place (ulp) over their whole domain,
// subnormal inputs and results included, and give the IEEE special values (test/vmath.test.ts
// measures them against Math.exp and Math.log over wide ranges). Each lane's result depends only
// on that lane's input, never on the other lane, so a number is the same whichever neighbour it
// was paired with (kernels rely on this to be independent of how their work is split).
//
// exp(x): Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, with ln2 split into LN2_HI (32
// significant bits: k LN2_HI is exact, and so is x - k LN2_HI) and LN2_LO; exp(r) from its Taylor
// polynomial to degree 13 (the first omitted term, r^14/14!, is below 5e-18 on the interval);
// then exp(x) = 2^k exp(r), with 2^k built from its exponent bits. When |k| could leave the range
// of normal powers of two, 2^k is applied as 2^k1 * 2^k2 with k1 = floor(k/2): the product
// overflows to Infinity, or rounds once to a subnormal or 0, exactly as the true value would.
//
// log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f), and
// log(1 + f) = 2 atanh(s) = f - s (f - T(s^2)), T(z) = sum_{n>=1} 2 z^n / (2n + 1), summed to n = 10
// (z <= 0.0295, the tail is below 2e-18 relative); f, the large term, is exact, so the rounding of s
// only reaches the small correction. log x = e LN2_HI + f - (s (f - T) - e LN2_LO), the first sum
// compensated (Fast2Sum). Subnormal inputs are scaled by 2^54 first.

/** ln 2 to 32 significant bits (its 21 low mantissa bits are 0): k * LN2_HI is exact for |k| < 2^21. */
const LN2_HI: f64 = 0.6931471803691238; // 0x3fe62e42fee00000
/** ln 2 - LN2_HI, rounded. */
const LN2_LO: f64 = 1.9082149292705877e-10; // 0x3dea39ef35793c76
const INV_LN2: f64 = 1.4426950408889634;
/** 1.5 * 2^52: adding it rounds a number of magnitude < 2^51 to an integer held in the low mantissa bits. */
const SHIFT: f64 = 6755399441055744.0;
const SHIFT_BITS: i64 = 0x4338000000000000;
/** exp(x) is Infinity above log(2^1024) = 709.78... and 0 below log(2^-1075) = -745.13...; arguments are clamped here. */
const EXP_CLAMP_HI: f64 = 720.0;
const EXP_CLAMP_LO: f64 = -760.0;
/** Below this |x| (in the argument) 2^k is a normal number and one scaling step suffices. */
const EXP_ONE_STEP: f64 = 707.0;
const SQRT_HALF_BITS: i64 = 0x3fe6a09e667f3bcd;
/** Smallest normal double, 2^-1022. */
const MIN_NORMAL: f64 = 2.2250738585072014e-308;
const TWO_54: f64 = 18014398509481984.0;

// Taylor coefficients 1/n! of exp, n = 2..13.
const E2: f64 = 1.0 / 2.0;
const E3: f64 = 1.0 / 6.0;
const E4: f64 = 1.0 / 24.0;
const E5: f64 = 1.0 / 120.0;
const E6: f64 = 1.0 / 720.0;
const E7: f64 = 1.0 / 5040.0;
const E8: f64 = 1.0 / 40320.0;
const E9: f64 = 1.0 / 362880.0;
const E10: f64 = 1.0 / 3628800.0;
const E11: f64 = 1.0 / 39916800.0;
const E12: f64 = 1.0 / 479001600.0;
const E13: f64 = 1.0 / 6227020800.0;

// Coefficients 2/(2n+1) of T, n = 1..10.
const L1: f64 = 2.0 / 3.0;
const L2: f64 = 2.0 / 5.0;
const L3: f64 = 2.0 / 7.0;
const L4: f64 = 2.0 / 9.0;
const L5: f64 = 2.0 / 11.0;
const L6: f64 = 2.0 / 13.0;
const L7: f64 = 2.0 / 15.0;
const L8: f64 = 2.0 / 17.0;
const L9: f64 = 2.0 / 19.0;
const L10: f64 = 2.0 / 21.0;

// @ts-ignore: decorator
@inline function sp(x: f64): v128 { return f64x2.splat(x); }

/**
 * True when both lanes of a comparison mask are set (v128.all_true<i64> for lanes that are all ones
 * or all zeros, in fewer instructions: the two sign bits).
 */
// @ts-ignore: decorator
@inline export function allLanes(mask: v128): bool {
  return i64x2.bitmask(mask) == 3;
}

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 { return f64x2.add(f64x2.mul(a, b), c); }

/** 2^k for integer lanes k (i64) in [-1022, 1023], as f64 lanes. */
// @ts-ignore: decorator
@inline function pow2(k: v128): v128 {
  return i64x2.shl(i64x2.add(k, i64x2.splat(1023)), 52);
}

/**
 * exp(x + xlo) on two lanes for x in [-1400, 1400] (or NaN; beyond, 2^k no longer splits into two
 * normal powers of two), where xlo is a small correction to x
 * (|xlo| below 1): the pair is reduced together, so the result is as accurate as exp of the exact
 * sum. Within one ulp; overflow gives Infinity and underflow subnormals or 0, correctly scaled.
 * Callers whose arguments are known to lie in the range (the normal distribution's tail factor)
 * call it directly; vexp clamps first.
 */
// @ts-ignore: decorator
@inline export function vexpLo(xc: v128, xlo: v128): v128 {
  const kd = madd(f64x2.add(xc, xlo), sp(INV_LN2), sp(SHIFT));
  const k = f64x2.sub(kd, sp(SHIFT));
  const r = f64x2.add(f64x2.sub(f64x2.sub(xc, f64x2.mul(k, sp(LN2_HI))), f64x2.mul(k, sp(LN2_LO))), xlo);
  // exp(r) - 1 = r + r^2 (1/2 + r (1/6 + ... + r / 13!)), |r| <= 0.347.
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  // Estrin: pairs of terms, then powers of r^2 and r^4, for a short dependency chain.
  const p23 = madd(r, sp(E3), sp(E2));
  const p45 = madd(r, sp(E5), sp(E4));
  const p67 = madd(r, sp(E7), sp(E6));
  const p89 = madd(r, sp(E9), sp(E8));
  const p1011 = madd(r, sp(E11), sp(E10));
  const p1213 = madd(r, sp(E13), sp(E12));
  const q1 = madd(r2, p45, p23);            // 1/2 .. r^3/5!
  const q2 = madd(r2, p89, p67);            // 1/6! .. r^3/9!
  const q3 = madd(r2, p1213, p1011);        // 1/10! .. r^3/13!
  const q = madd(r4, madd(r4, q3, q2), q1); // 1/2 + r/6 + ... + r^11/13!
  const y = f64x2.add(sp(1.0), madd(r2, q, r));
  const ki = i64x2.sub(kd, i64x2.splat(SHIFT_BITS));
  if (allLanes(f64x2.lt(f64x2.abs(xc), sp(EXP_ONE_STEP)))) {
    return f64x2.mul(y, pow2(ki));
  }
  const k1 = i64x2.shr_s(ki, 1);
  return f64x2.mul(f64x2.mul(y, pow2(k1)), pow2(i64x2.sub(ki, k1)));
}

/**
 * vexpLo of two vectors at once, (xa, la) and (xb, lb), results stored at out and out + 16: the
 * same arithmetic as vexpLo lane by lane (the same results, bit for bit), interleaved so that the
 * two evaluations share their constants and run side by side.
 */
// @ts-ignore: decorator
@inline export function vexpLoPair(xa: v128, la: v128, xb: v128, lb: v128, out: usize): void {
  const kda = madd(f64x2.add(xa, la), sp(INV_LN2), sp(SHIFT));
  const kdb = madd(f64x2.add(xb, lb), sp(INV_LN2), sp(SHIFT));
  const ka = f64x2.sub(kda, sp(SHIFT));
  const kb = f64x2.sub(kdb, sp(SHIFT));
  const ra = f64x2.add(f64x2.sub(f64x2.sub(xa, f64x2.mul(ka, sp(LN2_HI))), f64x2.mul(ka, sp(LN2_LO))), la);
  const rb = f64x2.add(f64x2.sub(f64x2.sub(xb, f64x2.mul(kb, sp(LN2_HI))), f64x2.mul(kb, sp(LN2_LO))), lb);
  const r2a = f64x2.mul(ra, ra);
  const r2b = f64x2.mul(rb, rb);
  const r4a = f64x2.mul(r2a, r2a);
  const r4b = f64x2.mul(r2b, r2b);
  const q1a = madd(r2a, madd(ra, sp(E5), sp(E4)), madd(ra, sp(E3), sp(E2)));
  const q1b = madd(r2b, madd(rb, sp(E5), sp(E4)), madd(rb, sp(E3), sp(E2)));
  const q2a = madd(r2a, madd(ra, sp(E9), sp(E8)), madd(ra, sp(E7), sp(E6)));
  const q2b = madd(r2b, madd(rb, sp(E9), sp(E8)), madd(rb, sp(E7), sp(E6)));
  const q3a = madd(r2a, madd(ra, sp(E13), sp(E12)), madd(ra, sp(E11), sp(E10)));
  const q3b = madd(r2b, madd(rb, sp(E13), sp(E12)), madd(rb, sp(E11), sp(E10)));
  const ya = f64x2.add(sp(1.0), madd(r2a, madd(r4a, madd(r4a, q3a, q2a), q1a), ra));
  const yb = f64x2.add(sp(1.0), madd(r2b, madd(r4b, madd(r4b, q3b, q2b), q1b), rb));
  const kia = i64x2.sub(kda, i64x2.splat(SHIFT_BITS));
  const kib = i64x2.sub(kdb, i64x2.splat(SHIFT_BITS));
  if (allLanes(v128.and(f64x2.lt(f64x2.abs(xa), sp(EXP_ONE_STEP)), f64x2.lt(f64x2.abs(xb), sp(EXP_ONE_STEP))))) {
    v128.store(out, f64x2.mul(ya, pow2(kia)));
    v128.store(out + 16, f64x2.mul(yb, pow2(kib)));
    return;
  }
  const k1a = i64x2.shr_s(kia, 1);
  const k1b = i64x2.shr_s(kib, 1);
  v128.store(out, f64x2.mul(f64x2.mul(ya, pow2(k1a)), pow2(i64x2.sub(kia, k1a))));
  v128.store(out + 16, f64x2.mul(f64x2.mul(yb, pow2(k1b)), pow2(i64x2.sub(kib, k1b))));
}

/**
 * exp(x) on two lanes, within one ulp: exp(+-0) = 1, exp(-Infinity) = 0, exp(Infinity) =
 * Infinity, NaN for NaN, Infinity on overflow, subnormals or 0 on underflow (see vexpLo).
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // Clamping changes no result (exp is 0 or Infinity beyond); pmin/pmax keep a NaN first operand.
  return vexpLo(f64x2.pmax(f64x2.pmin(x, sp(EXP_CLAMP_HI)), sp(EXP_CLAMP_LO)), sp(0.0));
}

/**
 * Natural logarithm on two lanes, within one ulp: log(+-0) = -Infinity, log(x < 0) = NaN,
 * log(Infinity) = Infinity, log(1) = +0, NaN for NaN; subnormal inputs are exact to within one ulp
 * too.
 */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  const normal = v128.and(f64x2.ge(x, sp(MIN_NORMAL)), f64x2.lt(x, sp(Infinity)));
  if (allLanes(normal)) return vlogNormal(x, sp(0.0));
  // Subnormal inputs: scale into the normal range and take 54 off the exponent.
  const sub = v128.and(f64x2.gt(x, sp(0.0)), f64x2.lt(x, sp(MIN_NORMAL)));
  const xs = v128.bitselect(f64x2.mul(x, sp(TWO_54)), x, sub);
  let y = vlogNormal(xs, v128.and(sub, sp(54.0)));
  y = v128.bitselect(sp(-Infinity), y, f64x2.eq(x, sp(0.0)));
  y = v128.bitselect(sp(Infinity), y, f64x2.eq(x, sp(Infinity)));
  // x < 0 (including -Infinity) and NaN: NaN.
  return v128.bitselect(y, sp(NaN), f64x2.ge(x, sp(0.0)));
}

/** log(x) - eBias * ln 2 for positive normal finite lanes x (eBias: 0, or 54 for prescaled subnormals). */
// @ts-ignore: decorator
@inline function vlogNormal(x: v128, eBias: v128): v128 {
  const ix = x; // the bits of x, as i64 lanes
  const tmp = i64x2.sub(ix, i64x2.splat(SQRT_HALF_BITS));
  const e = i64x2.shr_s(tmp, 52);                  // x = 2^e m, m in [sqrt(1/2), sqrt(2))
  const m = i64x2.sub(ix, i64x2.shl(e, 52));
  // e as f64: the integer e sits in the low bits of SHIFT's mantissa.
  const ef = f64x2.sub(f64x2.sub(i64x2.add(e, i64x2.splat(SHIFT_BITS)), sp(SHIFT)), eBias);
  const f = f64x2.sub(m, sp(1.0));
  const s = f64x2.div(f, f64x2.add(sp(2.0), f));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  // T(z) = z (L1 + z L2 + ... + z^9 L10), Estrin over z^2.
  const a = madd(z, sp(L2), sp(L1));
  const b = madd(z, sp(L4), sp(L3));
  const c = madd(z, sp(L6), sp(L5));
  const d = madd(z, sp(L8), sp(L7));
  const g = madd(z, sp(L10), sp(L9));
  const z4 = f64x2.mul(z2, z2);
  const t = f64x2.mul(z, madd(z4, madd(z4, g, madd(z2, d, c)), madd(z2, b, a)));
  const corr = f64x2.sub(f64x2.mul(s, f64x2.sub(f, t)), f64x2.mul(ef, sp(LN2_LO)));
  const hi = f64x2.mul(ef, sp(LN2_HI));
  // hi + f with its rounding error (Fast2Sum: |hi| >= |f| whenever hi != 0).
  const sum = f64x2.add(hi, f);
  const err = f64x2.add(f64x2.sub(hi, sum), f);
  return f64x2.add(sum, f64x2.sub(err, corr));
}
