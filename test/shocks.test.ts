/**
 * Monte Carlo spot shocks (assembly/shocks.ts) against the twin (src/reference/shocks.ts), their
 * reproducibility, and their distribution.
 *
 * Tolerances: WASM vs twin within 1e-12 relative per multiplier (the runtimes' Math.log/Math.exp may
 * differ in the last ulp; the test also counts bit-identical values). Reproducibility (batch split,
 * one scenario alone, stride) is bit for bit. Statistical checks are seeded (deterministic): sample
 * ES within 4 standard errors of the closed form, sample correlations within 5 standard errors.
 *
 * Closed forms computed here, independently of the code under test:
 * - normal quantile by Newton on the series Phi(x) = 1/2 + phi(x) sum_n x^(2n+1) / (2n+1)!!
 *   (Abramowitz & Stegun 26.2.11), checked against the tabulated z(0.975) = 1.960 (NIST/SEMATECH
 *   e-Handbook of Statistical Methods, 1.3.6.7.1);
 * - Student-t with 5 degrees of freedom: CDF in closed form (A&S 26.7.3, odd nu:
 *   A(t|5) = (2/pi) (theta + sin theta (cos theta + (2/3) cos^3 theta)), theta = atan(t / sqrt 5)),
 *   density 8 / (3 pi sqrt 5) (1 + t^2/5)^-3, quantile by Newton, checked against the tabulated
 *   t(0.975, 5) = 2.571 (NIST/SEMATECH e-Handbook 1.3.6.7.2);
 * - ES_a of the standard normal phi(z_a) / (1 - a); of the standard t f(t_a) / (1 - a) (nu + t_a^2) / (nu - 1),
 *   times sqrt((nu - 2) / nu) for unit variance.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { esShocksRef } from '../src/reference/shocks.js';
import { buildCorrelation, choleskyPsd } from '../src/scenarios/correlation.js';
import { generateShocks, generateShocksArray, shocksView, shockScales, tailOfArray } from '../src/kernels/es.js';
import { Rng } from './helpers/random.js';

const arena = new Arena(instantiateKernels());

/** A random valid correlation matrix of size n (normalised A A^T), row-major. */
function randomCorrelation(rng: Rng, n: number): Float64Array {
  const a = Array.from({ length: n * n }, () => rng.normal());
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * a[j * n + k];
      c[i * n + j] = s;
    }
  }
  const d = Array.from({ length: n }, (_, i) => Math.sqrt(c[i * n + i]));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[i * n + j] = i === j ? 1 : c[i * n + j] / (d[i] * d[j]);
  return c;
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `U${i}`);

describe('esShocks: WASM vs twin', () => {
  it('300 seeded configurations agree within 1e-12 relative (normal and Student-t, nU 1..7, rho = 1 cases)', () => {
    const rng = new Rng(101);
    let count = 0, same = 0, worst = 0;
    for (let t = 0; t < 300; t++) {
      const nU = rng.int(1, 7);
      const c = randomCorrelation(rng, nU);
      if (nU >= 2 && t % 5 === 0) {
        // Make underlyings 0 and 1 perfectly (anti-)correlated, and copy row 0 to row 1 accordingly.
        const sign = t % 10 === 0 ? 1 : -1;
        for (let j = 0; j < nU; j++) {
          if (j === 1) continue;
          c[1 * nU + j] = sign * c[0 * nU + j];
          c[j * nU + 1] = c[1 * nU + j];
        }
        c[1 * nU + 0] = c[0 * nU + 1] = sign;
      }
      const chol = choleskyPsd(c, nU, ids(nU), 'test');
      const nScen = rng.int(0, 120);
      const stride = nScen + rng.int(0, 3);
      const params = {
        seed: t % 3 === 0 ? rng.int(0, 1000) : Math.floor(rng.next() * 2 ** 53),
        firstScenario: rng.int(0, 2_000_000_000),
        nScen, nU, chol,
        scale: Float64Array.from({ length: nU }, () => rng.uniform(0.005, 0.4)),
        dist: (t % 2) as 0 | 1,
        nu: rng.uniform(2.05, 40),
        stride,
      };
      const ref = esShocksRef(params);
      const got = generateShocksArray(arena, {
        seed: params.seed, firstScenario: params.firstScenario, nScen, chol, scale: params.scale,
        distribution: params.dist === 1 ? 'student-t' : 'normal', degreesOfFreedom: params.nu, stride,
      }).values;
      expect(got.length).toBe(ref.length);
      for (let i = 0; i < ref.length; i++) {
        count++;
        if (got[i] === ref[i]) same++;
        const d = Math.abs(got[i] - ref[i]) / Math.abs(ref[i]);
        worst = Math.max(worst, d);
        if (!(d <= 1e-12)) {
          throw new Error(`config ${t} (${JSON.stringify({ ...params, chol: Array.from(chol), scale: Array.from(params.scale) })}): `
            + `value ${i} wasm ${got[i]}, twin ${ref[i]}`);
        }
      }
    }
    console.log(`esShocks: ${same} of ${count} multipliers bit-identical, worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('esShocks: reproducibility and layout', () => {
  const chol = choleskyPsd(buildCorrelation(['A', 'B', 'C'], [['A', 'B', 0.6], ['B', 'C', -0.2]], 't'), 3, ['A', 'B', 'C'], 't');
  const scale = shockScales([0.6, 0.75, 0.3], 2);
  const base = { seed: 77, chol, scale, distribution: 'student-t' as const, degreesOfFreedom: 4.5 };

  it('a batch split anywhere, or one scenario generated alone, gives the same bits', () => {
    const whole = generateShocksArray(arena, { ...base, nScen: 500, stride: 500 }).values;
    for (const cut of [1, 137, 250, 499]) {
      const a = generateShocksArray(arena, { ...base, nScen: cut, stride: cut }).values;
      const b = generateShocksArray(arena, { ...base, firstScenario: cut, nScen: 500 - cut, stride: 500 - cut }).values;
      for (let u = 0; u < 3; u++) {
        for (let s = 0; s < 500; s++) {
          const v = s < cut ? a[u * cut + s] : b[u * (500 - cut) + s - cut];
          if (v !== whole[u * 500 + s]) throw new Error(`cut ${cut}: underlying ${u} scenario ${s}: ${v} vs ${whole[u * 500 + s]}`);
        }
      }
    }
    for (const s of [0, 1, 333, 499]) {
      const one = generateShocksArray(arena, { ...base, firstScenario: s, nScen: 1, stride: 1 }).values;
      for (let u = 0; u < 3; u++) expect(one[u]).toBe(whole[u * 500 + s]);
    }
  });

  it('pads columns nScen..stride-1 with 1.0 and does not depend on the stride', () => {
    const a = generateShocksArray(arena, { ...base, nScen: 5, stride: 5 }).values;
    const b = generateShocksArray(arena, { ...base, nScen: 5, stride: 9 }).values;
    const c = generateShocksArray(arena, { ...base, nScen: 5 }); // default stride: even
    expect(c.stride).toBe(6);
    for (let u = 0; u < 3; u++) {
      for (let s = 0; s < 9; s++) expect(b[u * 9 + s]).toBe(s < 5 ? a[u * 5 + s] : 1);
      expect(c.values[u * 6 + 5]).toBe(1);
    }
    const empty = generateShocksArray(arena, { ...base, nScen: 0, stride: 4 }).values;
    expect(Array.from(empty)).toEqual(new Array(12).fill(1));
  });

  it('writes into the arena: the pointer view equals the copy', () => {
    const mark = arena.mark();
    const s = generateShocks(arena, { ...base, nScen: 10 });
    const copy = generateShocksArray(arena, { ...base, nScen: 10 }).values;
    expect(Array.from(shocksView(arena, s))).toEqual(Array.from(copy));
    arena.release(mark);
  });

  it('perfectly correlated underlyings (rho = 1, rho = -1) move together', () => {
    const c = buildCorrelation(['X', 'Y', 'Z'], [['X', 'Y', 1], ['X', 'Z', -1], ['Y', 'Z', -1]], 't');
    const L = choleskyPsd(c, 3, ['X', 'Y', 'Z'], 't');
    const v = generateShocksArray(arena, { seed: 5, nScen: 200, stride: 200, chol: L, scale: [0.1, 0.1, 0.1], distribution: 'normal' }).values;
    for (let s = 0; s < 200; s++) {
      const zx = Math.log(v[s]), zy = Math.log(v[200 + s]), zz = Math.log(v[400 + s]);
      expect(Math.abs(zy - zx)).toBeLessThan(1e-12);
      expect(Math.abs(zz + zx)).toBeLessThan(1e-12);
    }
  });

  it('rejects bad arguments with status 1', () => {
    const k = arena.kernels;
    const cholPtr = arena.putF64([1]);
    const scalePtr = arena.putF64([0.1]);
    const out = arena.allocF64(8);
    expect(k.esShocks(-1, 0, 1, 1, cholPtr, scalePtr, 0, 0, 1, out)).toBe(1);
    expect(k.esShocks(0.5, 0, 1, 1, cholPtr, scalePtr, 0, 0, 1, out)).toBe(1);
    expect(k.esShocks(1, -1, 1, 1, cholPtr, scalePtr, 0, 0, 1, out)).toBe(1);
    expect(k.esShocks(1, 0, 2, 1, cholPtr, scalePtr, 0, 0, 1, out)).toBe(1); // stride < nScen
    expect(k.esShocks(1, 2 ** 31 - 1, 1, 1, cholPtr, scalePtr, 0, 0, 1, out)).toBe(1);
    expect(k.esShocks(1, 0, 1, 1, cholPtr, scalePtr, 2, 0, 1, out)).toBe(1); // unknown dist
    expect(k.esShocks(1, 0, 1, 1, cholPtr, scalePtr, 1, 2, 1, out)).toBe(1); // nu = 2
    expect(k.esShocks(1, 0, 1, 1, cholPtr, scalePtr, 1, NaN, 1, out)).toBe(1);
    expect(k.esShocks(1, 0, 1, 1, cholPtr, scalePtr, 1, 3, 1, out)).toBe(0);
  });
});

// ---- Closed forms, computed independently of the code under test ----

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const phi = (x: number): number => INV_SQRT_2PI * Math.exp(-0.5 * x * x);
/** Phi(x) = 1/2 + phi(x) sum x^(2n+1)/(2n+1)!! (A&S 26.2.11); all terms positive for x > 0. */
function Phi(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 500 && Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
    term *= (x * x) / (2 * n + 1);
    sum += term;
  }
  return 0.5 + phi(x) * sum;
}
function normalQuantile(p: number): number {
  let x = 0;
  for (let i = 0; i < 100; i++) {
    const dx = (Phi(x) - p) / phi(x);
    x -= dx;
    if (Math.abs(dx) < 1e-16) break;
  }
  return x;
}
/** Student-t with 5 degrees of freedom: CDF (A&S 26.7.3) and density. */
function t5Cdf(t: number): number {
  const th = Math.atan(t / Math.sqrt(5));
  const c = Math.cos(th);
  const A = (2 / Math.PI) * (th + Math.sin(th) * (c + (2 / 3) * c * c * c));
  return 0.5 + 0.5 * A;
}
const t5Pdf = (t: number): number => (8 / (3 * Math.PI * Math.sqrt(5))) * (1 + (t * t) / 5) ** -3;
function t5Quantile(p: number): number {
  let t = 2;
  for (let i = 0; i < 100; i++) {
    const dt = (t5Cdf(t) - p) / t5Pdf(t);
    t -= dt;
    if (Math.abs(dt) < 1e-15) break;
  }
  return t;
}

/** Sample ES at level a and its standard error sqrt([Var(tail) + a (ES - VaR)^2] / ((1 - a) n)). */
function sampleEs(losses: Float64Array, a: number): { es: number; var: number; se: number } {
  const r = tailOfArray(arena, losses, a);
  const sorted = Float64Array.from(losses).sort().reverse();
  const m = r.m;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += sorted[i];
  mean /= m;
  let v = 0;
  for (let i = 0; i < m; i++) v += (sorted[i] - mean) ** 2;
  v /= m - 1;
  const se = Math.sqrt((v + a * (r.es - r.var) ** 2) / ((1 - a) * losses.length));
  return { es: r.es, var: r.var, se };
}

describe('esShocks: distribution of the shocks', () => {
  const N = 200_000;
  const A = 0.975;

  it('the independent quantiles match the published tables', () => {
    expect(Math.abs(normalQuantile(0.975) - 1.960)).toBeLessThan(5e-4);
    expect(Math.abs(t5Quantile(0.975) - 2.571)).toBeLessThan(5e-4);
    expect(Math.abs(Phi(normalQuantile(0.975)) - 0.975)).toBeLessThan(1e-15);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
  });

  /** z of one underlying with unit scale: log of the multiplier. */
  function draws(distribution: 'normal' | 'student-t', seed: number): Float64Array {
    const v = generateShocksArray(arena, { seed, nScen: N, stride: N, chol: [1], scale: [1], distribution, degreesOfFreedom: 5 }).values;
    return v.map(Math.log);
  }

  it(`normal: sample ES at 97.5 % of ${N} scenarios within 4 standard errors of phi(z)/0.025`, () => {
    const z = normalQuantile(A);
    const exact = phi(z) / (1 - A);
    const s = sampleEs(draws('normal', 1), A);
    const zscore = (s.es - exact) / s.se;
    console.log(`normal ES: sample ${s.es.toFixed(5)}, closed form ${exact.toFixed(5)}, se ${s.se.toFixed(5)}, `
      + `z-score ${zscore.toFixed(2)}; VaR ${s.var.toFixed(5)} vs ${z.toFixed(5)}`);
    expect(exact).toBeCloseTo(2.3378, 4);
    expect(Math.abs(zscore)).toBeLessThan(4);
  });

  it(`Student-t (nu = 5, unit variance): sample ES at 97.5 % of ${N} scenarios within 4 standard errors of the closed form`, () => {
    const nu = 5;
    const t = t5Quantile(A);
    const exact = Math.sqrt((nu - 2) / nu) * (t5Pdf(t) / (1 - A)) * ((nu + t * t) / (nu - 1));
    const s = sampleEs(draws('student-t', 2), A);
    const zscore = (s.es - exact) / s.se;
    console.log(`student-t ES: sample ${s.es.toFixed(5)}, closed form ${exact.toFixed(5)}, se ${s.se.toFixed(5)}, `
      + `z-score ${zscore.toFixed(2)}; VaR ${s.var.toFixed(5)} vs ${(t * Math.sqrt(0.6)).toFixed(5)}`);
    expect(Math.abs(zscore)).toBeLessThan(4);
  });

  it('Student-t shocks have unit variance within 5 standard errors', () => {
    const z = draws('student-t', 3);
    let m2 = 0;
    for (const x of z) m2 += x * x;
    m2 /= z.length;
    // Var(z^2) = E z^4 - 1 with E z^4 = 3 (nu - 2) / (nu - 4) = 9 for nu = 5.
    const se = Math.sqrt(8 / z.length);
    console.log(`student-t variance: ${m2.toFixed(5)} (z-score ${((m2 - 1) / se).toFixed(2)})`);
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * se);
  });

  for (const distribution of ['normal', 'student-t'] as const) {
    it(`${distribution}: sample correlations of the log-moves match the target within 5 standard errors (100,000 scenarios)`, () => {
      const names = ['BTC', 'ETH', 'SOL'];
      const pairs: [string, string, number][] = [['BTC', 'ETH', 0.8], ['BTC', 'SOL', -0.3], ['ETH', 'SOL', 0.1]];
      const c = buildCorrelation(names, pairs, 'market.json');
      const chol = choleskyPsd(c, 3, names, 'market.json');
      const n = 100_000;
      const scale = [0.02, 0.05, 0.01];
      const v = generateShocksArray(arena, { seed: 9, nScen: n, stride: n, chol, scale, distribution, degreesOfFreedom: 5 }).values;
      const z = [0, 1, 2].map((u) => Float64Array.from({ length: n }, (_, s) => Math.log(v[u * n + s]) / scale[u]));
      // Elliptical distributions: Var(r) ~ (1 + kappa) (1 - rho^2)^2 / n, kappa = excess kurtosis / 3
      // (2 for the Student-t with 5 degrees of freedom, 0 for the normal).
      const kappa = distribution === 'normal' ? 0 : 2;
      for (const [a, b, rho] of pairs) {
        const i = names.indexOf(a), j = names.indexOf(b);
        let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (let s = 0; s < n; s++) {
          const x = z[i][s], y = z[j][s];
          sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
        }
        const r = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
        const se = Math.sqrt(1 + kappa) * (1 - rho * rho) / Math.sqrt(n);
        console.log(`${distribution} corr(${a}, ${b}): sample ${r.toFixed(5)}, target ${rho}, z-score ${((r - rho) / se).toFixed(2)}`);
        expect(Math.abs(r - rho)).toBeLessThan(5 * se);
      }
    });
  }
});
