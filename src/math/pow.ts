/**
 * x^y by an exactly specified algorithm, for the host's factors that must be the same on every
 * Node version (the grid's tenor weight): fdlibm's `__ieee754_pow` (e_pow.c, Sun Microsystems
 * 1993) as V8 ported it, operation for operation in IEEE 754 binary64 arithmetic, which
 * ECMAScript prescribes exactly (every + - * / rounds once to nearest, no extended precision, no
 * fused multiply-add; Math.abs is exact, and Math.sqrt, used for y = 0.5 only, is the correctly
 * rounded square root on every engine). The result is the same on every engine.
 *
 * `Math.pow` is not: the language leaves its accuracy to the implementation. Node 20 and 22 run
 * V8's fdlibm port (`base::ieee754::legacy::pow`); Node 24's V8 uses another algorithm, which
 * differs from it in the last bit on about one argument in ten. This function is V8's port,
 * including its one departure from fdlibm, in the last step of 2^z:
 * `r = z t1 / ((t1 - 2) - (w + z w))` where fdlibm has `z t1 / (t1 - 2) - (w + z w)`; so it gives
 * what Math.pow gave on Node 20 and 22 bit for bit (test/pow.test.ts), and results computed with
 * it did not move there.
 *
 * Accuracy: within one unit in the last place of the correctly rounded x^y (measured against
 * Node 24's Math.pow, itself within about half a unit, on two million tenor-weight arguments).
 * Special values follow ECMAScript's Number::exponentiate, including (+-1)^(+-Infinity) = NaN.
 */

// Word access: big-endian DataView, so word 0 is the high word (sign, exponent, 20 mantissa
// bits) and word 1 the low word, on any platform.
const view = new DataView(new ArrayBuffer(8));

function hi(x: number): number { view.setFloat64(0, x); return view.getInt32(0); }
function lo(x: number): number { view.setFloat64(0, x); return view.getUint32(4); }
function fromWords(h: number, l: number): number { view.setInt32(0, h); view.setUint32(4, l); return view.getFloat64(0); }
/** x with its low word set to 0. */
function clearLo(x: number): number { view.setFloat64(0, x); view.setUint32(4, 0); return view.getFloat64(0); }
/** x with its high word replaced by h. */
function setHi(x: number, h: number): number { view.setFloat64(0, x); view.setInt32(0, h); return view.getFloat64(0); }

const BP = [1.0, 1.5];
const DP_H = [0.0, fromWords(0x3fe2b803, 0x40000000)]; // 5.84962487220764160156e-01
const DP_L = [0.0, fromWords(0x3e4cfdeb, 0x43cfd006)]; // 1.35003920212974897128e-08
const TWO53 = 9007199254740992.0;
const HUGE = 1.0e300;
const TINY = 1.0e-300;
// Polynomial coefficients for (3/2)(log(x) - 2s - 2/3 s^3).
const L1 = fromWords(0x3fe33333, 0x33333303); // 5.99999999999994648725e-01
const L2 = fromWords(0x3fdb6db6, 0xdb6fabff); // 4.28571428578550184252e-01
const L3 = fromWords(0x3fd55555, 0x518f264d); // 3.33333329818377432918e-01
const L4 = fromWords(0x3fd17460, 0xa91d4101); // 2.72728123808534006489e-01
const L5 = fromWords(0x3fcd864a, 0x93c9db65); // 2.30660745775561754067e-01
const L6 = fromWords(0x3fca7e28, 0x4a454eef); // 2.06975017800338417784e-01
const P1 = fromWords(0x3fc55555, 0x5555553e); // 1.66666666666666019037e-01
const P2 = fromWords(0xbf66c16c | 0, 0x16bebd93); // -2.77777777770155933842e-03
const P3 = fromWords(0x3f11566a, 0xaf25de2c); // 6.61375632143793436117e-05
const P4 = fromWords(0xbebbbd41 | 0, 0xc5d26bf1); // -1.65339022054652515390e-06
const P5 = fromWords(0x3e663769, 0x72bea4d0); // 4.13813679705723846039e-08
const LG2 = fromWords(0x3fe62e42, 0xfefa39ef); // 6.93147180559945286227e-01
const LG2_H = fromWords(0x3fe62e43, 0x00000000); // 6.93147182464599609375e-01
const LG2_L = fromWords(0xbe205c61 | 0, 0x0ca86c39); // -1.90465429995776804525e-09
const OVT = 8.0085662595372944372e-17; // -(1024 - log2(ovfl + .5ulp))
const CP = fromWords(0x3feec709, 0xdc3a03fd); // 9.61796693925975554329e-01 = 2/(3 ln2)
const CP_H = fromWords(0x3feec709, 0xe0000000); // 9.61796700954437255859e-01 = (float)cp
const CP_L = fromWords(0xbe3e2fe0 | 0, 0x145b01f5); // -7.02846165095275826516e-09 = tail of cp_h
const IVLN2 = fromWords(0x3ff71547, 0x652b82fe); // 1.44269504088896338700e+00 = 1/ln2
const IVLN2_H = fromWords(0x3ff71547, 0x60000000); // 1.44269502162933349609e+00 = 24 bits of 1/ln2
const IVLN2_L = fromWords(0x3e54ae0b, 0xf85ddf44); // 1.92596299112661746887e-08 = 1/ln2 tail
const TWO54 = 18014398509481984.0;
const TWOM54 = 5.55111512312578270212e-17;

/** x * 2^n, rounded once (fdlibm's scalbn). */
function scalbn(x: number, n: number): number {
  let hx = hi(x);
  const lx = lo(x);
  let k = (hx & 0x7ff00000) >> 20;
  if (k === 0) {
    if ((lx | (hx & 0x7fffffff)) === 0) return x;
    x *= TWO54;
    hx = hi(x);
    k = ((hx & 0x7ff00000) >> 20) - 54;
    if (n < -50000) return TINY * x;
  }
  if (k === 0x7ff) return x + x;
  k = k + n;
  if (k > 0x7fe) return HUGE * Math.sign(x) * HUGE;
  if (k > 0) return setHi(x, (hx & 0x800fffff) | (k << 20));
  if (k <= -54) return n > 50000 ? HUGE * Math.sign(x) * HUGE : TINY * (x < 0 ? -TINY : TINY);
  k += 54;
  return setHi(x, (hx & 0x800fffff) | (k << 20)) * TWOM54;
}

/** x^y, fdlibm's algorithm (see the file comment). */
export function pow(x: number, y: number): number {
  const hx = hi(x), lx = lo(x);
  const hy = hi(y), ly = lo(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  // y == 0: x^0 = 1 (NaN^0 too).
  if ((iy | ly) === 0) return 1;
  // NaN argument.
  if (ix > 0x7ff00000 || (ix === 0x7ff00000 && lx !== 0) || iy > 0x7ff00000 || (iy === 0x7ff00000 && ly !== 0)) return x + y;

  // yisint: 0 y is not an integer, 1 an odd integer, 2 an even integer (only needed for x < 0).
  let yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000) yisint = 2;
    else if (iy >= 0x3ff00000) {
      const k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        const j = ly >>> (52 - k);
        if (((j << (52 - k)) >>> 0) === ly) yisint = 2 - (j & 1);
      } else if (ly === 0) {
        const j = iy >> (20 - k);
        if ((j << (20 - k)) === iy) yisint = 2 - (j & 1);
      }
    }
  }

  // Special values of y.
  if (ly === 0) {
    if (iy === 0x7ff00000) { // y = +-Infinity
      if (((ix - 0x3ff00000) | lx) === 0) return y - y; // (+-1)^(+-Infinity) is NaN
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0; // (|x| > 1)^(+-Infinity) = Infinity, 0
      return hy < 0 ? -y : 0; // (|x| < 1)^(-+Infinity) = Infinity, 0
    }
    if (iy === 0x3ff00000) return hy < 0 ? 1 / x : x; // y = +-1
    if (hy === 0x40000000) return x * x; // y = 2
    if (hy === 0x3fe00000 && hx >= 0) return Math.sqrt(x); // y = 0.5, x >= +0
  }

  let ax = Math.abs(x);
  // Special values of x: +-0, +-Infinity, +-1.
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    let z = ax;
    if (hy < 0) z = 1 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0) z = (z - z) / (z - z); // (-1)^non-integer is NaN
      else if (yisint === 1) z = -z; // (x < 0)^odd = -(|x|^odd)
    }
    return z;
  }

  let n = (hx >> 31) + 1;
  // (x < 0)^non-integer is NaN.
  if ((n | yisint) === 0) return (x - x) / (x - x);
  let s = 1; // the sign of the result: -1 for (negative)^(odd integer)
  if ((n | (yisint - 1)) === 0) s = -1;

  let t1: number, t2: number;
  if (iy > 0x41e00000) { // |y| > 2^31
    if (iy > 0x43f00000) { // |y| > 2^64: must overflow or underflow
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    // Overflow or underflow if x is not close to one.
    if (ix < 0x3fefffff) return hy < 0 ? s * HUGE * HUGE : s * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? s * HUGE * HUGE : s * TINY * TINY;
    // |1 - x| <= 2^-20: log(x) by x - x^2/2 + x^3/3 - x^4/4.
    const t = ax - 1;
    const w = (t * t) * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = clearLo(u + v);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    // Subnormal x.
    if (ix < 0x00100000) { ax *= TWO53; n -= 53; ix = hi(ax); }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    // The interval of x.
    ix = j | 0x3ff00000;
    let k: number;
    if (j <= 0x3988e) k = 0; // |x| < sqrt(3/2)
    else if (j < 0xbb67a) k = 1; // |x| < sqrt(3)
    else { k = 0; n += 1; ix -= 0x00100000; }
    ax = setHi(ax, ix);

    // ss = s_h + s_l = (x - 1)/(x + 1) or (x - 1.5)/(x + 1.5).
    let u = ax - BP[k];
    let v = 1 / (ax + BP[k]);
    const ss = u * v;
    const sH = clearLo(ss);
    // t_h = ax + bp[k], high part.
    let tH = fromWords(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18), 0);
    let tL = ax - (tH - BP[k]);
    const sL = v * ((u - sH * tH) - sH * tL);
    // log(ax).
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = clearLo(3.0 + s2 + r);
    tL = r - ((tH - 3.0) - s2);
    // u + v = ss (1 + ...).
    u = sH * tH;
    v = sL * tH + tL * ss;
    // 2/(3 log 2) (ss + ...).
    const pH = clearLo(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + DP_L[k];
    // log2(ax) = (ss + ...) 2/(3 log 2) = n + dp_h + z_h + z_l.
    const t = n;
    t1 = clearLo(((zH + zL) + DP_H[k]) + t);
    t2 = zL - (((t1 - t) - DP_H[k]) - zH);
  }

  // Split y into y1 + y2 and compute (y1 + y2)(t1 + t2).
  const y1 = clearLo(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  let j = hi(z);
  let i = lo(z);
  if (j >= 0x40900000) { // z >= 1024
    if (((j - 0x40900000) | i) !== 0) return s * HUGE * HUGE; // z > 1024: overflow
    if (pL + OVT > z - pH) return s * HUGE * HUGE;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) { // z <= -1075
    if (((j - (0xc090cc00 | 0)) | i) !== 0) return s * TINY * TINY; // z < -1075: underflow
    if (pL <= z - pH) return s * TINY * TINY;
  }

  // 2^(p_h + p_l).
  i = j & 0x7fffffff;
  let k = (i >> 20) - 0x3ff;
  n = 0;
  if (i > 0x3fe00000) { // |z| > 0.5: n = [z + 0.5]
    n = (j + (0x00100000 >> (k + 1))) | 0;
    k = ((n & 0x7fffffff) >> 20) - 0x3ff; // the new k for n
    const t = fromWords(n & ~(0x000fffff >> k), 0);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = clearLo(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2 + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const tq = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  // V8's reading of this step (see the file comment); fdlibm has (z tq)/(tq - 2) - (w + z w).
  const r = (z * tq) / ((tq - 2) - (w + z * w));
  z = 1 - (r - z);
  j = hi(z);
  j = (j + (n << 20)) | 0;
  if ((j >> 20) <= 0) z = scalbn(z, n); // subnormal result
  else z = setHi(z, j);
  return s * z;
}
