// The standard normal distribution: density and cumulative distribution function, to full
// double precision over the whole real line.
//
// normCdf uses W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
// for the error function", Math. Comp. 23 (1969) 631-637; the coefficients and the three
// intervals are those of his ANORM routine in SPECFUN, Argonne, 1992). The tail factor
// exp(-x^2/2) is computed as exp(-xs^2/2) * exp(-(x - xs)(x + xs)/2) with xs = x rounded down to a
// multiple of 1/16: xs^2 is exact and only the small remainder (x - xs)(x + xs) < |x|/8 is
// rounded. Computing exp(-x*x/2) directly would lose about x^2/2 ulps (~70 at x = -12, ~700 at
// x = -37) to the rounding of x*x.
import { vexpLo, vexpLoPair, allLanes } from './vmath';

/** 1 / sqrt(2 pi). */
export const INV_SQRT_2PI: f64 = 0.398942280401432677939946059934;
/** Cody's split point between the first and second intervals (where N(x) = 0.75). */
const THRESHOLD: f64 = 0.66291;
/** sqrt(32): split point between the second and third intervals. */
const SQRT_32: f64 = 5.656854249492380195206754896838;
/** Beyond this |x| the result is 0 or 1 in double precision (N(-38.5) is below 2^-1074). */
const SATURATE: f64 = 40.0;

/** exp(-y^2 / 2) for y >= 0 without rounding y^2 (see the file comment). */
// @ts-ignore: decorator
@inline function expHalfSquare(y: f64): f64 {
  const ys = Math.floor(y * 16.0) / 16.0;
  const del = (y - ys) * (y + ys);
  return Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5);
}

/**
 * Standard normal density phi(x) = exp(-x^2/2) / sqrt(2 pi). Relative error a few ulps for every x
 * whose result is a normal double; 0 for |x| >= 40 (and +-Infinity); NaN for NaN.
 */
// @ts-ignore: decorator
@inline export function normPdf(x: f64): f64 {
  const y = Math.abs(x);
  if (!(y < SATURATE)) return y == y ? 0.0 : x; // +-Infinity -> 0, NaN -> NaN
  return INV_SQRT_2PI * expHalfSquare(y);
}

/**
 * Standard normal cumulative distribution N(x) = P(Z <= x). Relative error below 1e-15 for every
 * x whose result is a normal double (x >= -37.5; 6.4e-16 measured against 60-digit values);
 * subnormal results (x down to about -38.4) are within a few multiples of 2^-1074; 0 below that
 * and for -Infinity; 1 from about x = 8.3 on (1 - N(x) < 2^-54) and for +Infinity; NaN for NaN.
 * For the upper tail 1 - N(x) call normCdf(-x), which keeps full relative precision.
 */
// @ts-ignore: decorator
@inline export function normCdf(x: f64): f64 {
  if (x != x) return x;
  const y = Math.abs(x);
  let lower: f64; // N(-y)
  if (y <= THRESHOLD) {
    // N(x) = 1/2 + x R(x^2), R rational of degree 4/4 (Cody's first interval).
    const z = y * y;
    const num = (((0.065682337918207449113 * z + 2.2352520354606839287) * z
      + 161.02823106855587881) * z + 1067.6894854603709582) * z + 18154.981253343561249;
    const den = (((z + 47.20258190468824187) * z + 976.09855173777669322) * z
      + 10260.932208618978205) * z + 45507.789335026729956;
    return 0.5 + x * (num / den);
  } else if (y <= SQRT_32) {
    // N(-y) = exp(-y^2/2) R(y), R rational of degree 8/8 (second interval).
    const num = (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y
      + 8.8831497943883759412) * y + 93.506656132177855979) * y + 597.27027639480026226) * y
      + 2494.5375852903726711) * y + 6848.1904505362823326) * y + 11602.651437647350124) * y
      + 9842.7148383839780218;
    const den = (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y
      + 1519.377599407554805) * y + 6485.558298266760755) * y + 18615.571640885098091) * y
      + 34900.952721145977266) * y + 38912.003286093271411) * y + 19685.429676859990727;
    lower = expHalfSquare(y) * (num / den);
  } else if (y < SATURATE) {
    // N(-y) = exp(-y^2/2) / y * (1/sqrt(2 pi) - z R(z)), z = 1/y^2 (third interval).
    const z = 1.0 / (y * y);
    const num = ((((0.02307344176494017303 * z + 0.21589853405795699) * z
      + 0.1274011611602473639) * z + 0.022235277870649807) * z + 0.001421619193227893466) * z
      + 2.9112874951168792e-5;
    const den = ((((z + 1.28426009614491121) * z + 0.468238212480865118) * z
      + 0.0659881378689285515) * z + 0.00378239633202758244) * z + 7.29751555083966205e-5;
    lower = expHalfSquare(y) * ((INV_SQRT_2PI - z * (num / den)) / y);
  } else {
    lower = 0.0;
  }
  return x > 0.0 ? 1.0 - lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Two lanes at once (f64x2), for the vector kernels: the same approximations, the same intervals
// and the same exact splitting of x^2, evaluated on both lanes; each lane takes its own interval
// (an interval's rational is computed only when some lane needs it), so each result depends only on
// its own lane. The tail factor is one vector exp of the split square (assembly/vmath.ts), which
// rounds once where the scalar code multiplies two rounded exponentials.
// ---------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function sp2(x: f64): v128 { return f64x2.splat(x); }

/** Lanes where Cody's first interval applies (|x| <= THRESHOLD: no exponential needed). */
// @ts-ignore: decorator
@inline export function codyFirst2(x: v128): v128 {
  return f64x2.le(f64x2.abs(x), sp2(THRESHOLD));
}

/** Keeps the 26 leading significant bits of a double: the square of the result is exact. */
const HIGH26: i64 = 0xFFFFFFFFF8000000;

/**
 * exp(-y^2/2) on two lanes, y >= 0 (or NaN), without rounding y^2: y = ys + (y - ys) with ys the
 * leading 26 bits of y, so that ys^2 and y - ys are exact and only the small (y - ys)(y + ys) is
 * rounded; the two parts go to one vector exp together. 0 from y = 40 on.
 */
// @ts-ignore: decorator
@inline export function expHalfSquare2(y: v128): v128 {
  const yc = f64x2.pmin(y, sp2(SATURATE)); // NaN stays NaN
  const ys = v128.and(yc, i64x2.splat(HIGH26));
  const del = f64x2.mul(f64x2.sub(yc, ys), f64x2.add(yc, ys));
  return vexpLo(f64x2.mul(ys, f64x2.mul(ys, sp2(-0.5))), f64x2.mul(del, sp2(-0.5)));
}

/** expHalfSquare2 of two vectors, results stored at out and out + 16 (bit for bit expHalfSquare2's). */
// @ts-ignore: decorator
@inline export function expHalfSquarePair(ya: v128, yb: v128, out: usize): void {
  const yca = f64x2.pmin(ya, sp2(SATURATE));
  const ycb = f64x2.pmin(yb, sp2(SATURATE));
  const ysa = v128.and(yca, i64x2.splat(HIGH26));
  const ysb = v128.and(ycb, i64x2.splat(HIGH26));
  const dela = f64x2.mul(f64x2.sub(yca, ysa), f64x2.add(yca, ysa));
  const delb = f64x2.mul(f64x2.sub(ycb, ysb), f64x2.add(ycb, ysb));
  vexpLoPair(f64x2.mul(ysa, f64x2.mul(ysa, sp2(-0.5))), f64x2.mul(dela, sp2(-0.5)),
    f64x2.mul(ysb, f64x2.mul(ysb, sp2(-0.5))), f64x2.mul(delb, sp2(-0.5)), out);
}

/** normPdf on two lanes: same accuracy and special values as the scalar normPdf. */
// @ts-ignore: decorator
@inline export function normPdf2(x: v128): v128 {
  return f64x2.mul(sp2(INV_SQRT_2PI), expHalfSquare2(f64x2.abs(x)));
}

// Each lane's N(x) is num/den of its interval, one division: 1/2 + x num/den in the first
// interval; exp(-x^2/2) num/den for N(-|x|) in the second and third, where the third interval's
// (1/sqrt(2 pi) - z R(z)) / |x| is written (INV_SQRT_2PI den - z num) / (den |x|), z = 1/x^2.

/** Numerator of Cody's first interval, in z = x^2. */
// @ts-ignore: decorator
@inline function num1(z: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(
    sp2(0.065682337918207449113), z), sp2(2.2352520354606839287)), z), sp2(161.02823106855587881)), z),
    sp2(1067.6894854603709582)), z), sp2(18154.981253343561249));
}

/** Denominator of Cody's first interval, in z = x^2. */
// @ts-ignore: decorator
@inline function den1(z: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(
    z, sp2(47.20258190468824187)), z), sp2(976.09855173777669322)), z), sp2(10260.932208618978205)), z),
    sp2(45507.789335026729956));
}

/** Numerator of Cody's second interval, in y = |x|. */
// @ts-ignore: decorator
@inline function num2(y: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(
    f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(
    sp2(1.0765576773720192317e-8), y), sp2(0.39894151208813466764)), y), sp2(8.8831497943883759412)), y),
    sp2(93.506656132177855979)), y), sp2(597.27027639480026226)), y), sp2(2494.5375852903726711)), y),
    sp2(6848.1904505362823326)), y), sp2(11602.651437647350124)), y), sp2(9842.7148383839780218));
}

/** Denominator of Cody's second interval, in y = |x|. */
// @ts-ignore: decorator
@inline function den2(y: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(
    f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(
    y, sp2(22.266688044328115691)), y), sp2(235.38790178262499861)), y), sp2(1519.377599407554805)), y),
    sp2(6485.558298266760755)), y), sp2(18615.571640885098091)), y), sp2(34900.952721145977266)), y),
    sp2(38912.003286093271411)), y), sp2(19685.429676859990727));
}

/** Cody's third-interval numerator polynomial, in z = 1/x^2. */
// @ts-ignore: decorator
@inline function num3(z: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(
    f64x2.mul(sp2(0.02307344176494017303), z), sp2(0.21589853405795699)), z), sp2(0.1274011611602473639)), z),
    sp2(0.022235277870649807)), z), sp2(0.001421619193227893466)), z), sp2(2.9112874951168792e-5));
}

/** Cody's third-interval denominator polynomial, in z = 1/x^2. */
// @ts-ignore: decorator
@inline function den3(z: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(
    z, sp2(1.28426009614491121)), z), sp2(0.468238212480865118)), z), sp2(0.0659881378689285515)), z),
    sp2(0.00378239633202758244)), z), sp2(7.29751555083966205e-5));
}

/**
 * N(x) from its interval's quotient q = num/den: 1/2 + x q in the first interval (lanes in1, any1:
 * some lane is), else from N(-|x|) = e q.
 */
// @ts-ignore: decorator
@inline function codyFinish(x: v128, e: v128, q: v128, in1: v128, any1: bool): v128 {
  const lower = f64x2.mul(e, q);
  const tail = v128.bitselect(f64x2.sub(sp2(1.0), lower), lower, f64x2.gt(x, sp2(0.0)));
  if (!any1) return tail;
  return v128.bitselect(f64x2.add(sp2(0.5), f64x2.mul(x, q)), tail, in1);
}

/**
 * normCdf on two lanes given e = exp(-x^2/2), which is read only on lanes outside Cody's first
 * interval (|x| > THRESHOLD; lanes with |x| >= 40 need e = 0). Lets a caller that knows the
 * exponential by other means (assembly/bsm.ts) skip computing it. Each interval's polynomials are
 * evaluated only when some lane is in it.
 */
// @ts-ignore: decorator
@inline export function normCdfGivenExp2(x: v128, e: v128): v128 {
  const y = f64x2.abs(x);
  const in1 = f64x2.le(y, sp2(THRESHOLD));
  const in3 = f64x2.gt(y, sp2(SQRT_32));
  let num = sp2(0.0), den = sp2(1.0);
  if (!allLanes(v128.or(in1, in3))) {
    num = num2(y);
    den = den2(y);
  }
  const any1 = v128.any_true(in1);
  if (any1) {
    const z = f64x2.mul(x, x);
    num = v128.bitselect(num1(z), num, in1);
    den = v128.bitselect(den1(z), den, in1);
  }
  if (v128.any_true(in3)) {
    const z = f64x2.div(sp2(1.0), f64x2.mul(y, y));
    const d = den3(z);
    num = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), d), f64x2.mul(z, num3(z))), num, in3);
    den = v128.bitselect(f64x2.mul(d, y), den, in3);
  }
  return codyFinish(x, e, f64x2.div(num, den), in1, any1);
}

/**
 * a N(x) - b N(x2) on two lanes, given e = exp(-x^2/2) and e2 = exp(-x2^2/2) as in
 * normCdfGivenExp2: both normal CDFs in one interleaved evaluation (each interval's polynomials
 * for both arguments when a lane of either needs them), each N bit for bit normCdfGivenExp2's.
 */
// @ts-ignore: decorator
@inline export function normCdfDiff2(a: v128, x: v128, e: v128, b: v128, x2: v128, e2: v128): v128 {
  const y = f64x2.abs(x), y2 = f64x2.abs(x2);
  const in1 = f64x2.le(y, sp2(THRESHOLD)), in1b = f64x2.le(y2, sp2(THRESHOLD));
  const in3 = f64x2.gt(y, sp2(SQRT_32)), in3b = f64x2.gt(y2, sp2(SQRT_32));
  let num = sp2(0.0), den = sp2(1.0), numb = sp2(0.0), denb = sp2(1.0);
  if (!allLanes(v128.and(v128.or(in1, in3), v128.or(in1b, in3b)))) {
    num = num2(y);
    numb = num2(y2);
    den = den2(y);
    denb = den2(y2);
  }
  const any1 = v128.any_true(in1), any1b = v128.any_true(in1b);
  if (any1 || any1b) {
    const z = f64x2.mul(x, x), zb = f64x2.mul(x2, x2);
    num = v128.bitselect(num1(z), num, in1);
    numb = v128.bitselect(num1(zb), numb, in1b);
    den = v128.bitselect(den1(z), den, in1);
    denb = v128.bitselect(den1(zb), denb, in1b);
  }
  if (v128.any_true(v128.or(in3, in3b))) {
    const z = f64x2.div(sp2(1.0), f64x2.mul(y, y)), zb = f64x2.div(sp2(1.0), f64x2.mul(y2, y2));
    const d = den3(z), db = den3(zb);
    num = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), d), f64x2.mul(z, num3(z))), num, in3);
    numb = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), db), f64x2.mul(zb, num3(zb))), numb, in3b);
    den = v128.bitselect(f64x2.mul(d, y), den, in3);
    denb = v128.bitselect(f64x2.mul(db, y2), denb, in3b);
  }
  const n = codyFinish(x, e, f64x2.div(num, den), in1, any1);
  const nb = codyFinish(x2, e2, f64x2.div(numb, denb), in1b, any1b);
  return f64x2.sub(f64x2.mul(a, n), f64x2.mul(b, nb));
}

/**
 * normCdfDiff2 of two vectors at once: aA N(xA) - bA N(x2A) stored at out, aB N(xB) - bB N(x2B) at
 * out + 16, each N bit for bit normCdfGivenExp2's; the four evaluations share their constants and
 * each interval's polynomials are evaluated for all four when a lane of any needs them.
 */
// @ts-ignore: decorator
@inline export function normCdfDiffPair(
  aA: v128, xA: v128, eA: v128, bA: v128, x2A: v128, e2A: v128,
  aB: v128, xB: v128, eB: v128, bB: v128, x2B: v128, e2B: v128, out: usize,
): void {
  const y0 = f64x2.abs(xA), y1 = f64x2.abs(x2A), y2 = f64x2.abs(xB), y3 = f64x2.abs(x2B);
  const th = sp2(THRESHOLD), s32 = sp2(SQRT_32);
  const in10 = f64x2.le(y0, th), in11 = f64x2.le(y1, th), in12 = f64x2.le(y2, th), in13 = f64x2.le(y3, th);
  const in30 = f64x2.gt(y0, s32), in31 = f64x2.gt(y1, s32), in32 = f64x2.gt(y2, s32), in33 = f64x2.gt(y3, s32);
  let n0 = sp2(0.0), n1 = sp2(0.0), n2 = sp2(0.0), n3 = sp2(0.0);
  let d0 = sp2(1.0), d1 = sp2(1.0), d2 = sp2(1.0), d3 = sp2(1.0);
  if (!allLanes(v128.and(v128.and(v128.or(in10, in30), v128.or(in11, in31)), v128.and(v128.or(in12, in32), v128.or(in13, in33))))) {
    n0 = num2(y0); n1 = num2(y1); n2 = num2(y2); n3 = num2(y3);
    d0 = den2(y0); d1 = den2(y1); d2 = den2(y2); d3 = den2(y3);
  }
  const any10 = v128.any_true(in10), any11 = v128.any_true(in11), any12 = v128.any_true(in12), any13 = v128.any_true(in13);
  if (any10 || any11 || any12 || any13) {
    const z0 = f64x2.mul(xA, xA), z1 = f64x2.mul(x2A, x2A), z2 = f64x2.mul(xB, xB), z3 = f64x2.mul(x2B, x2B);
    n0 = v128.bitselect(num1(z0), n0, in10); n1 = v128.bitselect(num1(z1), n1, in11);
    n2 = v128.bitselect(num1(z2), n2, in12); n3 = v128.bitselect(num1(z3), n3, in13);
    d0 = v128.bitselect(den1(z0), d0, in10); d1 = v128.bitselect(den1(z1), d1, in11);
    d2 = v128.bitselect(den1(z2), d2, in12); d3 = v128.bitselect(den1(z3), d3, in13);
  }
  if (v128.any_true(v128.or(v128.or(in30, in31), v128.or(in32, in33)))) {
    const z0 = f64x2.div(sp2(1.0), f64x2.mul(y0, y0)), z1 = f64x2.div(sp2(1.0), f64x2.mul(y1, y1));
    const z2 = f64x2.div(sp2(1.0), f64x2.mul(y2, y2)), z3 = f64x2.div(sp2(1.0), f64x2.mul(y3, y3));
    const q0 = den3(z0), q1 = den3(z1), q2 = den3(z2), q3 = den3(z3);
    n0 = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), q0), f64x2.mul(z0, num3(z0))), n0, in30);
    n1 = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), q1), f64x2.mul(z1, num3(z1))), n1, in31);
    n2 = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), q2), f64x2.mul(z2, num3(z2))), n2, in32);
    n3 = v128.bitselect(f64x2.sub(f64x2.mul(sp2(INV_SQRT_2PI), q3), f64x2.mul(z3, num3(z3))), n3, in33);
    d0 = v128.bitselect(f64x2.mul(q0, y0), d0, in30); d1 = v128.bitselect(f64x2.mul(q1, y1), d1, in31);
    d2 = v128.bitselect(f64x2.mul(q2, y2), d2, in32); d3 = v128.bitselect(f64x2.mul(q3, y3), d3, in33);
  }
  const c0 = codyFinish(xA, eA, f64x2.div(n0, d0), in10, any10);
  const c1 = codyFinish(x2A, e2A, f64x2.div(n1, d1), in11, any11);
  const c2 = codyFinish(xB, eB, f64x2.div(n2, d2), in12, any12);
  const c3 = codyFinish(x2B, e2B, f64x2.div(n3, d3), in13, any13);
  v128.store(out, f64x2.sub(f64x2.mul(aA, c0), f64x2.mul(bA, c1)));
  v128.store(out + 16, f64x2.sub(f64x2.mul(aB, c2), f64x2.mul(bB, c3)));
}

/**
 * normCdf on two lanes: Cody's approximations as in the scalar normCdf, with the same accuracy
 * (relative error below 1e-15 where N(x) is a normal double) and special values (0 at -Infinity,
 * 1 at Infinity, NaN for NaN).
 */
// @ts-ignore: decorator
@inline export function normCdf2(x: v128): v128 {
  // exp(-x^2/2) only when some lane is outside the first interval.
  const e = allLanes(codyFirst2(x)) ? sp2(0.0) : expHalfSquare2(f64x2.abs(x));
  return normCdfGivenExp2(x, e);
}
