// Counter-based random numbers for Monte Carlo scenarios.
//
// Generator: Philox4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011). A block of four 32-bit words is a pure function of a
// 128-bit counter and a 64-bit key, so any scenario can be regenerated alone and the numbers never
// depend on thread count or on the way a batch is split.
//
// Stream layout (the plain-TypeScript twin src/reference/rng.ts follows it exactly):
//   key     = (seed mod 2^32, floor(seed / 2^32)), seed an integer in [0, 2^53)
//   counter = (scenario, block, stream, 0)
//   stream 0: standard normals; normal i of a scenario comes from block i >> 1, words
//             2 (i & 1) and 2 (i & 1) + 1 (so normal i never depends on how many others are drawn)
//   stream 1: the chi-squared variate of a scenario; rejection attempt j uses block j
//
// Uniforms: two words (hi, lo) give the 52-bit integer n = hi * 2^20 + (lo >>> 12) and
// u = (n + 0.5) * 2^-52: 2^52 equally spaced values, all exactly representable, strictly inside
// (0, 1) (smallest 2^-53, largest 1 - 2^-53), symmetric about 1/2 (u and 1 - u are both on the grid).
//
// Normals: inversion, z = PPND16(u) (M. J. Wichura, "Algorithm AS 241: The percentage points of the
// normal distribution", Applied Statistics 37 (1988) 477-484; coefficients as published; relative
// accuracy about 1e-16). Inversion keeps one uniform per normal and is monotone in u. With the
// uniform grid above |z| <= 8.21.
//
// Chi-squared with nu > 2 degrees of freedom (real nu allowed): 2 * Gamma(nu / 2) by G. Marsaglia and
// W. W. Tsang, "A simple method for generating gamma variables", ACM TOMS 26 (2000) 363-372, with its
// squeeze. Attempt j takes block j of stream 1: its first uniform gives the normal x, its second the
// acceptance uniform U. At most CHI2_MAX_ATTEMPTS attempts (each accepted with probability > 0.95 for
// shape >= 1); if every one is rejected (probability < 1e-80) the result is 2 d = nu - 2/3.
import { STATUS_OK, STATUS_BAD_ARGUMENT, RNG_UNIFORM, RNG_CHI_SQUARED, SEED_LIMIT } from './layout';

const PHILOX_M0: u64 = 0xD2511F53;
const PHILOX_M1: u64 = 0xCD9E8D57;
const PHILOX_W0: u32 = 0x9E3779B9;
const PHILOX_W1: u32 = 0xBB67AE85;

/** 2^-52. */
const TWO_POW_M52: f64 = 2.220446049250313080847263336181640625e-16;
/** 2^32. */
const TWO_POW_32: f64 = 4294967296.0;
export const STREAM_NORMAL: u32 = 0;
export const STREAM_CHI2: u32 = 1;
export const CHI2_MAX_ATTEMPTS: i32 = 64;

/**
 * One Philox4x32-10 block: the four output words of counter (c0, c1, c2, c3) under key (k0, k1),
 * as the lanes 0..3 of a v128.
 */
// @ts-ignore: decorator
@inline export function philox4x32(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): v128 {
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    const p0: u64 = PHILOX_M0 * <u64>c0;
    const p1: u64 = PHILOX_M1 * <u64>c2;
    const n0 = (<u32>(p1 >>> 32)) ^ c1 ^ k0;
    const n1 = <u32>p1;
    const n2 = (<u32>(p0 >>> 32)) ^ c3 ^ k1;
    const n3 = <u32>p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  let v = i32x4.splat(<i32>c0);
  v = i32x4.replace_lane(v, 1, <i32>c1);
  v = i32x4.replace_lane(v, 2, <i32>c2);
  v = i32x4.replace_lane(v, 3, <i32>c3);
  return v;
}

/** The uniform in (0, 1) made of words (hi, lo): (hi * 2^20 + (lo >>> 12) + 0.5) * 2^-52. */
// @ts-ignore: decorator
@inline export function uniform52(hi: u32, lo: u32): f64 {
  const n: u64 = ((<u64>hi) << 20) | <u64>(lo >>> 12);
  return (<f64>n + 0.5) * TWO_POW_M52;
}

/** Low key word of an integer seed in [0, 2^53). */
// @ts-ignore: decorator
@inline export function seedKey0(seed: f64): u32 {
  return <u32>(<u64>seed & 0xFFFFFFFF);
}

/** High key word of an integer seed in [0, 2^53). */
// @ts-ignore: decorator
@inline export function seedKey1(seed: f64): u32 {
  return <u32>(<u64>seed >>> 32);
}

/** True when `seed` is an integer in [0, 2^53). */
// @ts-ignore: decorator
@inline export function validSeed(seed: f64): bool {
  return seed >= 0.0 && seed < SEED_LIMIT && Math.floor(seed) == seed;
}

/**
 * Wichura's PPND16: the standard normal quantile of p in (0, 1), relative error about 1e-16.
 * Returns -Infinity for p <= 0, +Infinity for p >= 1, NaN for NaN (never reached from uniform52).
 */
export function normInv(p: f64): f64 {
  if (!(p > 0.0)) return p == 0.0 || p < 0.0 ? -Infinity : NaN;
  if (!(p < 1.0)) return Infinity;
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
  let r = q < 0.0 ? p : 1.0 - p;
  r = Math.sqrt(-Math.log(r));
  let x: f64;
  if (r <= 5.0) {
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
    r = r - 5.0;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
      + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
      + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r
      + 5.46378491116411436990e+0) * r + 6.65790464350110377720e+0)
      / (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
      + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
      + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
      + 5.99832206555887937690e-1) * r + 1.0);
  }
  return q < 0.0 ? -x : x;
}

/** Uniform number `i` (0-based) of stream 0 of `scenario`; normal `i` is normInv of it. */
// @ts-ignore: decorator
@inline export function scenarioUniform(k0: u32, k1: u32, scenario: u32, i: i32): f64 {
  const b = philox4x32(scenario, <u32>(i >>> 1), STREAM_NORMAL, 0, k0, k1);
  if ((i & 1) == 0) {
    return uniform52(<u32>i32x4.extract_lane(b, 0), <u32>i32x4.extract_lane(b, 1));
  }
  return uniform52(<u32>i32x4.extract_lane(b, 2), <u32>i32x4.extract_lane(b, 3));
}

/**
 * The chi-squared variate (nu > 2 degrees of freedom, not checked here) of `scenario`: 2 * Gamma(nu/2)
 * by Marsaglia-Tsang on stream 1 (see the file comment).
 */
export function scenarioChiSquared(k0: u32, k1: u32, scenario: u32, nu: f64): f64 {
  const d = nu * 0.5 - 1.0 / 3.0;
  const c = 1.0 / Math.sqrt(9.0 * d);
  for (let j = 0; j < CHI2_MAX_ATTEMPTS; j++) {
    const b = philox4x32(scenario, <u32>j, STREAM_CHI2, 0, k0, k1);
    const x = normInv(uniform52(<u32>i32x4.extract_lane(b, 0), <u32>i32x4.extract_lane(b, 1)));
    const t = 1.0 + c * x;
    if (t <= 0.0) continue;
    const v = t * t * t;
    const u = uniform52(<u32>i32x4.extract_lane(b, 2), <u32>i32x4.extract_lane(b, 3));
    const xx = x * x;
    if (u < 1.0 - 0.0331 * (xx * xx)) return 2.0 * (d * v);
    if (Math.log(u) < 0.5 * xx + d * (1.0 - v + Math.log(v))) return 2.0 * (d * v);
  }
  return 2.0 * d;
}

/**
 * Known-answer kernel: writes the Philox4x32-10 block of counter (c0, c1, c2, c3) and key (k0, k1)
 * (each a u32 passed as i32) as four u32 at `out`. Returns 0.
 */
export function philoxBlock(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32, out: usize): i32 {
  const b = philox4x32(c0, c1, c2, c3, k0, k1);
  v128.store(out, b);
  return STATUS_OK;
}

/**
 * Draws of the scenario streams, for tests and diagnostics. For scenarios s = 0..nScen-1 (global
 * index firstScenario + s) writes nPer f64 at out[s * nPer ..]:
 *   kind RNG_UNIFORM (0): the uniforms 0..nPer-1 of stream 0, in (0, 1)
 *   kind RNG_NORMAL (1): the standard normals 0..nPer-1 of stream 0 (the y of the shock kernel)
 *   kind RNG_CHI_SQUARED (2): the scenario's chi-squared variate with nu degrees of freedom (nPer must be 1)
 * seed: an integer in [0, 2^53) passed as f64. Returns STATUS_OK, or STATUS_BAD_ARGUMENT (nothing written) for a bad
 * argument: seed not such an integer, negative counts or firstScenario, firstScenario + nScen past
 * 2^31 - 1, an unknown kind, kind 2 with nPer != 1 or with nu not a finite number > 2.
 */
export function rngSample(seed: f64, firstScenario: i32, nScen: i32, kind: i32, nu: f64, nPer: i32, out: usize): i32 {
  if (!validSeed(seed) || firstScenario < 0 || nScen < 0 || nPer < 0) return STATUS_BAD_ARGUMENT;
  if (<i64>firstScenario + <i64>nScen > <i64>i32.MAX_VALUE) return STATUS_BAD_ARGUMENT;
  if (kind < RNG_UNIFORM || kind > RNG_CHI_SQUARED) return STATUS_BAD_ARGUMENT;
  if (kind == RNG_CHI_SQUARED && (nPer != 1 || !(nu > 2.0) || !(nu < Infinity))) return STATUS_BAD_ARGUMENT;
  const k0 = seedKey0(seed);
  const k1 = seedKey1(seed);
  for (let s = 0; s < nScen; s++) {
    const scenario = <u32>(firstScenario + s);
    const row = out + ((<usize>s * <usize>nPer) << 3);
    if (kind == RNG_CHI_SQUARED) {
      store<f64>(row, scenarioChiSquared(k0, k1, scenario, nu));
      continue;
    }
    for (let i = 0; i < nPer; i++) {
      const u = scenarioUniform(k0, k1, scenario, i);
      store<f64>(row + (<usize>i << 3), kind == RNG_UNIFORM ? u : normInv(u));
    }
  }
  return STATUS_OK;
}
