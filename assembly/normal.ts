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

/** 1 / sqrt(2 pi). */
const INV_SQRT_2PI: f64 = 0.398942280401432677939946059934;
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
