// Monte Carlo spot shocks for expected-shortfall margin (docs/methods.md §8.2).
import { validSeed, seedKey0, seedKey1, philox4x32, uniform52, scenarioChiSquared, normInv, STREAM_NORMAL } from './rng';
import { STATUS_OK, STATUS_BAD_ARGUMENT, SHOCK_NORMAL, SHOCK_STUDENT_T } from './layout';

/**
 * Spot multipliers of Monte Carlo scenarios, in the layout the cube kernel reads (nU rows of
 * `stride` f64): out[u * stride + s] = exp(scale[u] * z_u(s)) for s = 0..nScen-1, and 1.0 (no move)
 * in the padding columns nScen..stride-1.
 *
 * Scenario s has the global index g = firstScenario + s, and its draws depend only on (seed, g):
 * y_u = normal u of stream 0 of scenario g (assembly/rng.ts), x = L y with L = chol (row-major
 * nU x nU, lower triangular, only j <= u read; x_u = sum_{j=0..u} L[u][j] y_j summed in that order),
 * and z = x for dist 0 (normal), z = x * sqrt((nu - 2) / w) for dist 1 (Student-t of unit variance,
 * the same as sqrt((nu-2)/nu) x / sqrt(w/nu)), w the chi-squared(nu) variate of stream 1 of
 * scenario g, shared by every underlying of the scenario. The multiplier is exp(scale[u] * z_u).
 *
 * seed: integer in [0, 2^53) passed as f64. scale: nU f64, vol_u * sqrt(horizonDays / 365) (a
 * log-return per unit of z). The out rows serve as scratch for y (x is formed in place, from the
 * last underlying to the first); out must not overlap chol or scale.
 *
 * Returns STATUS_OK; or STATUS_BAD_ARGUMENT, with nothing written, for a bad argument: seed not an integer in [0, 2^53),
 * firstScenario, nScen or nU negative, stride < nScen, firstScenario + nScen past 2^31 - 1, dist
 * not 0 or 1, or dist 1 with nu not a finite number > 2. nScen = 0 or nU = 0 only pads.
 */
export function esShocks(
  seed: f64, firstScenario: i32, nScen: i32, nU: i32, chol: usize, scale: usize,
  dist: i32, nu: f64, stride: i32, out: usize,
): i32 {
  if (!validSeed(seed) || firstScenario < 0 || nScen < 0 || nU < 0 || stride < nScen) return STATUS_BAD_ARGUMENT;
  if (<i64>firstScenario + <i64>nScen > <i64>i32.MAX_VALUE) return STATUS_BAD_ARGUMENT;
  if (dist != SHOCK_NORMAL && dist != SHOCK_STUDENT_T) return STATUS_BAD_ARGUMENT;
  if (dist == SHOCK_STUDENT_T && (!(nu > 2.0) || !(nu < Infinity))) return STATUS_BAD_ARGUMENT;
  const k0 = seedKey0(seed);
  const k1 = seedKey1(seed);
  const rowBytes = <usize>stride << 3;
  for (let s = 0; s < nScen; s++) {
    const g = <u32>(firstScenario + s);
    const col = out + (<usize>s << 3);
    // Normals 2b and 2b+1 share Philox block b of stream 0.
    for (let u = 0; u < nU; u += 2) {
      const b = philox4x32(g, <u32>(u >>> 1), STREAM_NORMAL, 0, k0, k1);
      const y0 = normInv(uniform52(<u32>i32x4.extract_lane(b, 0), <u32>i32x4.extract_lane(b, 1)));
      store<f64>(col + <usize>u * rowBytes, y0);
      if (u + 1 < nU) {
        const y1 = normInv(uniform52(<u32>i32x4.extract_lane(b, 2), <u32>i32x4.extract_lane(b, 3)));
        store<f64>(col + <usize>(u + 1) * rowBytes, y1);
      }
    }
    let factor = 1.0;
    if (dist == SHOCK_STUDENT_T) factor = Math.sqrt((nu - 2.0) / scenarioChiSquared(k0, k1, g, nu));
    for (let u = nU - 1; u >= 0; u--) {
      const row = chol + ((<usize>u * <usize>nU) << 3);
      let x = 0.0;
      for (let j = 0; j <= u; j++) {
        x += load<f64>(row + (<usize>j << 3)) * load<f64>(col + <usize>j * rowBytes);
      }
      store<f64>(col + <usize>u * rowBytes, Math.exp(load<f64>(scale + (<usize>u << 3)) * (factor * x)));
    }
  }
  for (let u = 0; u < nU; u++) {
    const row = out + <usize>u * rowBytes;
    for (let s = nScen; s < stride; s++) store<f64>(row + (<usize>s << 3), 1.0);
  }
  return STATUS_OK;
}
