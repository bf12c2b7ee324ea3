/**
 * Plain-TypeScript twin of assembly/rng.ts: the counter-based random numbers of the Monte Carlo
 * scenarios. See that file for the stream layout; in short:
 *
 * - Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 *   SC 2011), key = (seed mod 2^32, floor(seed / 2^32)) for an integer seed in [0, 2^53),
 *   counter = (scenario, block, stream, 0).
 * - Uniform from words (hi, lo): (hi * 2^20 + (lo >>> 12) + 0.5) * 2^-52, strictly inside (0, 1).
 * - Normal i of a scenario: stream 0, block i >> 1, words 2 (i & 1), 2 (i & 1) + 1, by inversion
 *   with Wichura's AS 241 (PPND16).
 * - Chi-squared(nu), nu > 2: 2 Gamma(nu / 2) by Marsaglia-Tsang on stream 1, attempt j on block j,
 *   at most CHI2_MAX_ATTEMPTS attempts (then nu - 2/3).
 */

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
export const STREAM_NORMAL = 0;
export const STREAM_CHI2 = 1;
export const CHI2_MAX_ATTEMPTS = 64;
/** Seeds are integers in [0, SEED_LIMIT). */
export const SEED_LIMIT = 2 ** 53;

/** High and low 32-bit words of the 64-bit product of two u32 (exact: every step stays below 2^53). */
export function mulHiLo(a: number, b: number): [number, number] {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  // a * b = aHi * b * 2^16 + aLo * b, both products below 2^48.
  const t = aHi * b + Math.floor((aLo * b) / 65536);
  const hi = Math.floor(t / 65536) >>> 0;
  const lo = Math.imul(a, b) >>> 0;
  return [hi, lo];
}

/** Philox4x32 with `rounds` rounds (10 for Philox4x32-10): the four output words. */
export function philox4x32(
  ctr: readonly [number, number, number, number], key: readonly [number, number], rounds = 10,
): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0) as [number, number, number, number];
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const [hi0, lo0] = mulHiLo(PHILOX_M0, c0);
    const [hi1, lo1] = mulHiLo(PHILOX_M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** True when `seed` is an integer in [0, 2^53). */
export function validSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed < SEED_LIMIT;
}

/** The Philox key of a seed. */
export function seedKey(seed: number): [number, number] {
  if (!validSeed(seed)) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

/** The uniform in (0, 1) made of two words. */
export function uniform52(hi: number, lo: number): number {
  const n = (hi >>> 0) * 2 ** 20 + ((lo >>> 0) >>> 12);
  return (n + 0.5) * 2 ** -52;
}

/**
 * Wichura's AS 241 PPND16 (Applied Statistics 37 (1988) 477-484): the standard normal quantile of p,
 * relative error about 1e-16; -Infinity at 0, +Infinity at 1, NaN outside [0, 1].
 */
export function normInv(p: number): number {
  if (!(p > 0)) return p === 0 || p < 0 ? -Infinity : NaN;
  if (!(p < 1)) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
      + 6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r
      + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r
      + 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0)
      / (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
      + 3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r
      + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r
      + 4.2313330701600911252e+1) * r + 1.0);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r = r - 1.6;
    x = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
      + 2.41780725177450611770e-1) * r + 1.27045825245236838258e+0) * r
      + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r
      + 4.63033784615654529590e+0) * r + 1.42343711074968357734e+0)
      / (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
      + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
      + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r
      + 2.05319162663775882187e+0) * r + 1.0);
  } else {
    r = r - 5;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
      + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
      + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r
      + 5.46378491116411436990e+0) * r + 6.65790464350110377720e+0)
      / (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
      + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
      + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
      + 5.99832206555887937690e-1) * r + 1.0);
  }
  return q < 0 ? -x : x;
}

/** Uniform `i` (0-based) of stream 0 of `scenario` under `seed`. */
export function scenarioUniform(seed: number, scenario: number, i: number): number {
  const w = philox4x32([scenario, i >>> 1, STREAM_NORMAL, 0], seedKey(seed));
  return (i & 1) === 0 ? uniform52(w[0], w[1]) : uniform52(w[2], w[3]);
}

/** Standard normal `i` of stream 0 of `scenario`: the y_i of the shock kernel. */
export function scenarioNormal(seed: number, scenario: number, i: number): number {
  return normInv(scenarioUniform(seed, scenario, i));
}

/** The chi-squared(nu) variate of `scenario` (stream 1), nu > 2. */
export function scenarioChiSquared(seed: number, scenario: number, nu: number): number {
  if (!(nu > 2) || !Number.isFinite(nu)) throw new RangeError(`degrees of freedom must be > 2, got ${nu}`);
  const key = seedKey(seed);
  const d = nu * 0.5 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let j = 0; j < CHI2_MAX_ATTEMPTS; j++) {
    const w = philox4x32([scenario, j, STREAM_CHI2, 0], key);
    const x = normInv(uniform52(w[0], w[1]));
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = uniform52(w[2], w[3]);
    const xx = x * x;
    if (u < 1 - 0.0331 * (xx * xx)) return 2 * (d * v);
    if (Math.log(u) < 0.5 * xx + d * (1 - v + Math.log(v))) return 2 * (d * v);
  }
  return 2 * d;
}
