/**
 * Counter-based random numbers (assembly/rng.ts and its twin src/reference/rng.ts).
 *
 * Known answers: the philox4x32 lines of Random123's tests/kat_vectors (D. E. Shaw Research,
 * Random123 1.14, github.com/DEShawResearch/random123; columns: name, rounds, counter[4], key[2],
 * expected[4], all hex u32), quoted in KAT below.
 *
 * Tolerances: uniforms WASM vs twin bit-identical (integer arithmetic and exact scaling); normals
 * within 1e-15 relative (only Math.log may differ between the two runtimes, by an ulp);
 * chi-squared within 1e-12 relative. Statistical checks are seeded (deterministic) and allow 5
 * standard errors.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import {
  philox4x32, mulHiLo, uniform52, normInv, scenarioUniform, scenarioNormal, scenarioChiSquared,
} from '../src/reference/rng.js';
import { normCdfRef, normPdfRef } from '../src/reference/normal.js';
import { philoxBlockWasm, sampleStreams, RNG_UNIFORM, RNG_NORMAL, RNG_CHI_SQUARED } from '../src/kernels/es.js';
import { Rng } from './helpers/random.js';

const arena = new Arena(instantiateKernels());

// Random123 tests/kat_vectors, the philox4x32 lines (7 and 10 rounds).
const KAT = `
philox4x32 7 00000000 00000000 00000000 00000000 00000000 00000000   5f6fb709 0d893f64 4f121f81 4f730a48
philox4x32 7 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   5207ddc2 45165e59 4d8ee751 8c52f662
philox4x32 7 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   4dfccaba 190a87f0 c47362ba b6b5242a
philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
`.trim().split('\n').map((line) => {
  const f = line.trim().split(/\s+/);
  const w = f.slice(2).map((h) => parseInt(h, 16));
  return {
    line,
    rounds: Number(f[1]),
    ctr: w.slice(0, 4) as [number, number, number, number],
    key: w.slice(4, 6) as [number, number],
    want: w.slice(6, 10),
  };
});

const hex = (ws: readonly number[]): string => ws.map((x) => (x >>> 0).toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32 known answers (Random123 kat_vectors)', () => {
  for (const v of KAT) {
    it(`reference: ${v.line}`, () => {
      expect(hex(philox4x32(v.ctr, v.key, v.rounds))).toBe(hex(v.want));
    });
    if (v.rounds === 10) {
      it(`wasm: ${v.line}`, () => {
        expect(hex(philoxBlockWasm(arena, v.ctr, v.key))).toBe(hex(v.want));
      });
    }
  }

  it('the twin\'s 32x32->64 multiply equals BigInt arithmetic on 20,000 seeded pairs', () => {
    const rng = new Rng(11);
    const edge = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
    for (let t = 0; t < 20000; t++) {
      const a = t < 49 ? edge[t % 7] : Math.floor(rng.next() * 2 ** 32);
      const b = t < 49 ? edge[Math.floor(t / 7)] : Math.floor(rng.next() * 2 ** 32);
      const p = BigInt(a) * BigInt(b);
      const [hi, lo] = mulHiLo(a, b);
      if (BigInt(hi) !== p >> 32n || BigInt(lo) !== (p & 0xffffffffn)) {
        throw new Error(`mulHiLo(${a}, ${b}) = ${hi}, ${lo}; expected ${p >> 32n}, ${p & 0xffffffffn}`);
      }
    }
  });

  it('wasm equals the twin on 5,000 seeded counters and keys', () => {
    const rng = new Rng(12);
    const u32 = (): number => Math.floor(rng.next() * 2 ** 32);
    for (let t = 0; t < 5000; t++) {
      const ctr: [number, number, number, number] = [u32(), u32(), u32(), u32()];
      const key: [number, number] = [u32(), u32()];
      const a = hex(philoxBlockWasm(arena, ctr, key));
      const b = hex(philox4x32(ctr, key));
      if (a !== b) throw new Error(`ctr ${hex(ctr)} key ${hex(key)}: wasm ${a}, twin ${b}`);
    }
  });
});

describe('uniforms', () => {
  it('lie strictly inside (0, 1): extremes are 2^-53 and 1 - 2^-53', () => {
    expect(uniform52(0, 0)).toBe(2 ** -53);
    expect(uniform52(0xffffffff, 0xffffffff)).toBe(1 - 2 ** -53);
    expect(uniform52(0x80000000, 0)).toBe(0.5 + 2 ** -53);
  });

  it('wasm and twin are bit-identical (2,000 scenarios x 7 uniforms, seeds 0, 1, 2^40 + 3)', () => {
    for (const seed of [0, 1, 2 ** 40 + 3]) {
      const first = seed === 1 ? 2_000_000_000 : 17;
      const w = sampleStreams(arena, seed, first, 2000, RNG_UNIFORM, 7);
      for (let s = 0; s < 2000; s++) {
        for (let i = 0; i < 7; i++) {
          const r = scenarioUniform(seed, first + s, i);
          if (w[s * 7 + i] !== r) throw new Error(`seed ${seed} scenario ${first + s} uniform ${i}: wasm ${w[s * 7 + i]}, twin ${r}`);
        }
      }
    }
  });

  it('have mean 1/2 and variance 1/12 within 5 standard errors (200,000 draws)', () => {
    const n = 100_000;
    const w = sampleStreams(arena, 42, 0, n, RNG_UNIFORM, 2);
    let s1 = 0, s2 = 0, outside = 0;
    for (const u of w) { s1 += u; s2 += u * u; if (!(u > 0 && u < 1)) outside++; }
    expect(outside).toBe(0);
    const N = w.length;
    const mean = s1 / N;
    const variance = s2 / N - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    // Var of (u - 1/2)^2 is 1/80 - 1/144.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
  });
});

describe('normals (AS 241 inversion)', () => {
  it('invert an independent normal CDF: x within 1e-14 relative, for p in [1e-300, 1 - 1e-15]', () => {
    // Reference CDF: src/reference/normal.ts (series and continued fraction, ~1e-15 relative). The
    // error of x is recovered as (Phi(x) - p) / phi(x), with Phi taken in the smaller tail, where it
    // has full relative precision.
    const rng = new Rng(13);
    let worst = 0, worstP = 0;
    for (let t = 0; t < 20000; t++) {
      const mode = t % 3;
      const p = mode === 0 ? 10 ** (-300 * rng.next()) * 0.5 : mode === 1 ? rng.next() : 1 - 10 ** (-15 * rng.next()) * 0.5;
      if (!(p > 0 && p < 1)) continue;
      const x = normInv(p);
      const tail = p < 0.5 ? p : 1 - p;
      const got = p < 0.5 ? normCdfRef(x) : normCdfRef(-x);
      const dx = Math.abs(got - tail) / normPdfRef(x);
      const err = dx / Math.max(Math.abs(x), 1e-3);
      if (err > worst) { worst = err; worstP = p; }
      if (err > 1e-14) throw new Error(`p = ${p}: x = ${x}, Phi = ${got}, relative error of x ${err}`);
    }
    console.log(`normInv: worst relative error of x ${worst.toExponential(2)} at p = ${worstP}`);
  });

  it('match published quantiles: z(0.975) = 1.959963984540054, z(0.995) = 2.5758293035489004, z(0.999) = 3.090232306167814', () => {
    // Standard values of the normal quantile: 1.960, 2.576, 3.090 in NIST/SEMATECH e-Handbook of
    // Statistical Methods 1.3.6.7.1; the 16-digit values as printed by R's qnorm (another
    // implementation of AS 241). The series inverse in shocks.test.ts confirms 1.959963984540054.
    expect(normInv(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normInv(0.995)).toBeCloseTo(2.5758293035489004, 14);
    expect(normInv(0.999)).toBeCloseTo(3.090232306167814, 14);
    expect(normInv(0.5)).toBe(0);
    // Odd symmetry on exactly representable pairs p, 1 - p.
    for (const p of [0.25, 2 ** -10, 2 ** -40, 0.5 - 2 ** -20]) expect(normInv(p)).toBe(-normInv(1 - p));
  });

  it('wasm within 1e-15 relative of the twin (2,000 scenarios x 9 normals); counts bit-identical', () => {
    const seed = 7;
    const w = sampleStreams(arena, seed, 100, 2000, RNG_NORMAL, 9);
    let same = 0, worst = 0;
    for (let s = 0; s < 2000; s++) {
      for (let i = 0; i < 9; i++) {
        const r = scenarioNormal(seed, 100 + s, i);
        const a = w[s * 9 + i];
        if (a === r) same++;
        const d = Math.abs(a - r) / Math.max(Math.abs(r), 1e-300);
        worst = Math.max(worst, d);
        if (d > 1e-15) throw new Error(`scenario ${100 + s} normal ${i}: wasm ${a}, twin ${r}`);
      }
    }
    console.log(`normals: ${same} of 18000 bit-identical, worst relative difference ${worst}`);
  });

  it('normal i of a scenario does not depend on how many are drawn, nor on the batch split', () => {
    const a = sampleStreams(arena, 3, 0, 1000, RNG_NORMAL, 5);
    const b = sampleStreams(arena, 3, 0, 1000, RNG_NORMAL, 2);
    const c1 = sampleStreams(arena, 3, 0, 377, RNG_NORMAL, 5);
    const c2 = sampleStreams(arena, 3, 377, 623, RNG_NORMAL, 5);
    for (let s = 0; s < 1000; s++) {
      expect(b[s * 2]).toBe(a[s * 5]);
      expect(b[s * 2 + 1]).toBe(a[s * 5 + 1]);
      for (let i = 0; i < 5; i++) expect(s < 377 ? c1[s * 5 + i] : c2[(s - 377) * 5 + i]).toBe(a[s * 5 + i]);
    }
  });

  it('have mean 0, variance 1, skewness 0 and kurtosis 3 within 5 standard errors (400,000 draws)', () => {
    const w = sampleStreams(arena, 5, 0, 100_000, RNG_NORMAL, 4);
    const N = w.length;
    let m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (const x of w) { m1 += x; m2 += x * x; m3 += x * x * x; m4 += x * x * x * x; }
    m1 /= N; m2 /= N; m3 /= N; m4 /= N;
    // Standard errors of the raw moments of N(0,1): sqrt(Var(x^k) / N), Var(x^k) = E x^2k - (E x^k)^2.
    expect(Math.abs(m1)).toBeLessThan(5 * Math.sqrt(1 / N));
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(m3)).toBeLessThan(5 * Math.sqrt(15 / N));
    expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt((105 - 9) / N));
  });
});

describe('chi-squared (Marsaglia-Tsang)', () => {
  it('wasm within 1e-12 relative of the twin (3,000 scenarios each for nu = 2.5, 5, 7.3, 30)', () => {
    for (const nu of [2.5, 5, 7.3, 30]) {
      const w = sampleStreams(arena, 9, 50, 3000, RNG_CHI_SQUARED, 1, nu);
      let same = 0;
      for (let s = 0; s < 3000; s++) {
        const r = scenarioChiSquared(9, 50 + s, nu);
        if (w[s] === r) same++;
        if (!(Math.abs(w[s] - r) <= 1e-12 * Math.abs(r))) throw new Error(`nu ${nu} scenario ${50 + s}: wasm ${w[s]}, twin ${r}`);
      }
      console.log(`chi-squared nu=${nu}: ${same} of 3000 bit-identical`);
    }
  });

  const N = 200_000;
  for (const [c, nu] of [2.5, 5, 7.3, 30].entries()) {
    it(`nu = ${nu}: sample mean and variance match nu and 2 nu within 5 standard errors (${N} draws)`, () => {
      const w = sampleStreams(arena, 2024 + c, 0, N, RNG_CHI_SQUARED, 1, nu);
      let s1 = 0, nonPositive = 0;
      for (const x of w) { if (!(x > 0)) nonPositive++; s1 += x; }
      expect(nonPositive).toBe(0);
      const mean = s1 / N;
      let s2 = 0;
      for (const x of w) s2 += (x - mean) * (x - mean);
      const variance = s2 / (N - 1);
      const seMean = Math.sqrt(2 * nu / N);
      // Var(s^2) ~ (mu4 - sigma^4) / N with mu4 = 12 nu^2 + 48 nu for chi-squared.
      const seVar = Math.sqrt((8 * nu * nu + 48 * nu) / N);
      console.log(`chi-squared nu=${nu}: mean ${mean.toFixed(5)} (z ${((mean - nu) / seMean).toFixed(2)}), `
        + `variance ${variance.toFixed(4)} vs ${2 * nu} (z ${((variance - 2 * nu) / seVar).toFixed(2)})`);
      expect(Math.abs(mean - nu)).toBeLessThan(5 * seMean);
      expect(Math.abs(variance - 2 * nu)).toBeLessThan(5 * seVar);
    });
  }
});

describe('rngSample argument checks', () => {
  const k = arena.kernels;
  const out = arena.allocF64(8);
  it.each([
    ['negative seed', -1, 0, 1, RNG_UNIFORM, 0, 1],
    ['fractional seed', 1.5, 0, 1, RNG_UNIFORM, 0, 1],
    ['seed 2^53', 2 ** 53, 0, 1, RNG_UNIFORM, 0, 1],
    ['negative first scenario', 1, -1, 1, RNG_UNIFORM, 0, 1],
    ['scenario range past 2^31 - 1', 1, 2 ** 31 - 2, 2, RNG_UNIFORM, 0, 1],
    ['unknown kind', 1, 0, 1, 3, 0, 1],
    ['chi-squared with nu = 2', 1, 0, 1, RNG_CHI_SQUARED, 2, 1],
    ['chi-squared with nu = Infinity', 1, 0, 1, RNG_CHI_SQUARED, Infinity, 1],
    ['chi-squared with nPer 2', 1, 0, 1, RNG_CHI_SQUARED, 5, 2],
  ])('%s -> status 1', (_name, seed, first, nScen, kind, nu, nPer) => {
    expect(k.rngSample(seed, first, nScen, kind, nu, nPer, out)).toBe(1);
  });
  it('accepts the largest seed and the last scenario index', () => {
    expect(k.rngSample(2 ** 53 - 1, 2 ** 31 - 2, 1, RNG_NORMAL, 0, 1, out)).toBe(0);
    expect(arena.f64(out, 1)[0]).toBe(scenarioNormal(2 ** 53 - 1, 2 ** 31 - 2, 0));
  });
});
