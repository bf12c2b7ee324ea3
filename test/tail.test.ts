/**
 * VaR / expected shortfall of scenario losses: the esTail and esTailIndex kernels (assembly/tail.ts,
 * selection) against the twin (src/reference/tail.ts, full sort).
 *
 * Tolerances: VaR, k and m exactly equal (VaR is one of the input values, picked by rank); ES within
 * 1e-12 relative to the mean absolute tail loss, (sum of |L(i)| over the tail) / k, since the two sum
 * the tail in different orders (and ES may be near zero when the tail mixes signs).
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { esTailRef, tailSize } from '../src/reference/tail.js';
import { tailOf, tailOfArray, tailScenarios, tailWithIndex } from '../src/kernels/es.js';
import { Rng } from './helpers/random.js';

const arena = new Arena(instantiateKernels());
const TOL = 1e-12;

function tailScale(losses: ArrayLike<number>, m: number, k: number): number {
  const sorted = Float64Array.from(losses).sort().reverse();
  let s = 0;
  for (let i = 0; i < m; i++) s += Math.abs(sorted[i]);
  return Math.max(s / k, 1e-300);
}

function compare(losses: Float64Array, confidence: number, label: string): void {
  const ref = esTailRef(losses, confidence);
  const got = tailOfArray(arena, losses, confidence);
  const show = (): string => `${label}: n ${losses.length}, confidence ${confidence}, `
    + `losses ${losses.length <= 30 ? JSON.stringify(Array.from(losses)) : '(long)'}; wasm ${JSON.stringify(got)}, twin ${JSON.stringify(ref)}`;
  if (got.var !== ref.var || got.k !== ref.k || got.m !== ref.m) throw new Error(show());
  const d = Math.abs(got.es - ref.es) / tailScale(losses, ref.m, ref.k);
  if (!(d <= TOL)) throw new Error(`${show()}: ES differs by ${d} relative`);
}

/** Random losses of size n: continuous, or from few distinct values (ties), or mixed. */
function randomLosses(rng: Rng, n: number, mode: number): Float64Array {
  const a = new Float64Array(n);
  const levels = rng.int(1, 6);
  for (let i = 0; i < n; i++) {
    if (mode === 0) a[i] = rng.normal() * 1e4;
    else if (mode === 1) a[i] = rng.int(-levels, levels) * 250;
    else a[i] = rng.next() < 0.5 ? rng.int(0, 3) * 100 : rng.uniform(-300, 300);
  }
  return a;
}

const CONFIDENCES = [0.5, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999];

describe('esTail: WASM vs twin', () => {
  it('every n in 1..300 with seeded random losses (continuous, tied, mixed) and confidences', () => {
    const rng = new Rng(301);
    let cases = 0;
    for (let n = 1; n <= 300; n++) {
      for (let mode = 0; mode < 3; mode++) {
        const c = rng.next() < 0.5 ? rng.pick(CONFIDENCES) : rng.uniform(0.001, 0.9999);
        compare(randomLosses(rng, n, mode), c, `n=${n} mode=${mode}`);
        cases++;
      }
    }
    expect(cases).toBe(900);
  });

  it('400 seeded random sizes up to 10,000', () => {
    const rng = new Rng(302);
    for (let t = 0; t < 400; t++) {
      const n = t < 8 ? 10_000 - t : rng.int(1, 10_000);
      const c = rng.next() < 0.5 ? rng.pick(CONFIDENCES) : rng.uniform(0.001, 0.9999);
      compare(randomLosses(rng, n, t % 3), c, `case ${t}`);
    }
  });

  it('structured inputs: sorted, reversed, constant, organ pipe, sawtooth, two values (n = 50,000)', () => {
    const n = 50_000;
    const patterns: Record<string, (i: number) => number> = {
      ascending: (i) => i,
      descending: (i) => n - i,
      constant: () => 42,
      organPipe: (i) => (i < n / 2 ? i : n - i),
      sawtooth: (i) => i % 97,
      twoValues: (i) => (i % 2 === 0 ? 1 : -1),
    };
    for (const [name, f] of Object.entries(patterns)) {
      const a = Float64Array.from({ length: n }, (_, i) => f(i));
      for (const c of [0.5, 0.975, 0.99999]) compare(a, c, name);
    }
    console.log('structured inputs ok');
  });

  it('the prefilter\'s sample misleads (the sampled positions hold the largest losses): still exact', () => {
    // The prefilter samples positions floor(i n / 512); put the 512 largest losses there, so its
    // threshold leaves fewer than m losses above it and selection must fall back to all n.
    for (const n of [10_000, 20_000, 65_536]) {
      const rng = new Rng(n);
      const a = Float64Array.from({ length: n }, () => rng.uniform(0, 1));
      for (let i = 0; i < 512; i++) a[Math.floor((i * n) / 512)] = 10 + rng.uniform(0, 1);
      for (const c of [0.975, 0.99, 0.999]) compare(a, c, `misleading sample n=${n}`);
      // and the opposite: the sample holds the smallest losses (the threshold keeps nearly all n)
      const b = a.map((v) => (v >= 10 ? -v : v));
      for (const c of [0.975, 0.99]) compare(b, c, `low sample n=${n}`);
    }
  });
});

/**
 * A port of the kernel's selection (assembly/tail.ts: the sampled prefilter, then median-of-3 pivot,
 * three-way partition in two branch-free passes, insertion sort below 16, median-of-medians fallback when two rounds do not
 * halve the range) on an
 * array of item ids with a comparison callback, so that comparisons can be counted and answered by
 * an adversary. Returns the final order of the items.
 */
function selectPort(n: number, target: number, cmp: (x: number, y: number) => number, fallback: boolean, prefilter = true): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  const swap = (i: number, j: number): void => { const t = a[i]; a[i] = a[j]; a[j] = t; };
  const insertion = (lo: number, hi: number): void => {
    for (let i = lo + 1; i <= hi; i++) for (let j = i; j > lo && cmp(a[j], a[j - 1]) > 0; j--) swap(j, j - 1);
  };
  const median3 = (x: number, y: number, z: number): number => {
    if (cmp(x, y) < 0) {
      if (cmp(y, z) < 0) return y;
      return cmp(x, z) < 0 ? z : x;
    }
    if (cmp(x, z) < 0) return x;
    return cmp(y, z) < 0 ? z : y;
  };
  const mom = (lo: number, hi: number): number => {
    let front = lo;
    for (let g = lo; g <= hi; g += 5) {
      const end = Math.min(g + 4, hi);
      insertion(g, end);
      swap(front, g + ((end - g) >> 1));
      front++;
    }
    const mid = lo + ((front - 1 - lo) >> 1);
    select(lo, front - 1, mid);
    return a[mid];
  };
  const select = (lo: number, hi: number, t: number): void => {
    let useMedians = false, rounds = 0, checkpoint = hi - lo + 1;
    while (hi - lo + 1 > 16) {
      const p = useMedians ? mom(lo, hi) : median3(a[lo], a[lo + ((hi - lo) >> 1)], a[hi]);
      // The kernel's two branch-free passes: > p to the front; then, if needed, == p before < p.
      let lt = lo;
      for (let i = lo; i <= hi; i++) { const v = a[i]; swap(lt, i); if (cmp(v, p) > 0) lt++; }
      if (t < lt) hi = lt - 1;
      else {
        let eq = lt;
        for (let i = lt; i <= hi; i++) { const v = a[i]; swap(eq, i); if (cmp(v, p) >= 0) eq++; }
        if (t < eq) return;
        lo = eq;
      }
      if (fallback && ++rounds === 2) {
        const size = hi - lo + 1;
        if (size > (checkpoint >> 1)) useMedians = true;
        checkpoint = size;
        rounds = 0;
      }
    }
    if (hi > lo) insertion(lo, hi);
  };
  // The kernel's prefilter (n >= 4 * 512 and m <= n / 8): a strided sample of 512 to the front, its
  // item of rank r as the threshold, every item >= it to the front, then selection on those.
  const m = target + 1;
  let end = n;
  if (prefilter && n >= 4 * 512 && m <= (n >> 3)) {
    for (let i = 0; i < 512; i++) swap(i, Math.floor((i * n) / 512));
    const e = (m * 512) / n;
    const r = Math.trunc(e + 4 * Math.sqrt(e) + 4);
    select(0, 511, r);
    const t = a[r];
    let j = 0;
    for (let i = 0; i < n; i++) if (cmp(a[i], t) >= 0) { swap(j, i); j++; }
    if (j >= m) end = j;
  }
  select(0, end - 1, target);
  return a;
}

/**
 * McIlroy's adversary (M. D. McIlroy, "A killer adversary for quicksort", Software: Practice and
 * Experience 29 (1999) 341-344): values start as "gas" (larger than everything) and are frozen to
 * the next small "solid" value only when two gas items are compared, choosing the item that is
 * probably the pivot. Run against the pure median-of-3 selection (no fallback) it builds an input on
 * which that selection does a quadratic number of comparisons.
 */
function killerInput(n: number, target: number): { values: Float64Array; comparisons: number } {
  const GAS = n;
  const val = new Float64Array(n).fill(GAS);
  let solid = 0, candidate = -1, comparisons = 0;
  const cmp = (x: number, y: number): number => {
    comparisons++;
    if (val[x] === GAS && val[y] === GAS) val[x === candidate ? x : y] = solid++;
    if (val[x] === GAS) candidate = x;
    else if (val[y] === GAS) candidate = y;
    return val[x] - val[y];
  };
  selectPort(n, target, cmp, false);
  for (let i = 0; i < n; i++) if (val[i] === GAS) val[i] = solid++;
  return { values: val, comparisons };
}

describe('esTail: linear time on an adversarial input', () => {
  it('McIlroy killer for median-of-3: quadratic without the fallback, linear with it, and the kernel takes the same path', () => {
    const n = 20_000;
    const confidence = 0.975;
    const m = Math.ceil(tailSize(n, confidence)); // 500
    const { values, comparisons } = killerInput(n, m - 1);
    let count = 0;
    const plain = (x: number, y: number): number => { count++; return values[x] - values[y]; };
    selectPort(n, m - 1, plain, false);
    const withoutFallback = count;
    count = 0;
    const order = selectPort(n, m - 1, plain, true);
    const withFallback = count;
    console.log(`killer n=${n}: median-of-3 only ${withoutFallback} comparisons (adversary run ${comparisons}), `
      + `with the median-of-medians fallback ${withFallback} (${(withFallback / n).toFixed(1)} n)`);
    expect(withoutFallback).toBeGreaterThan((n * n) / 50);
    expect(withFallback).toBeLessThan(40 * n);
    // The kernel makes the same moves as the port (same final order), hence the same comparisons.
    const mark = arena.mark();
    const ptr = arena.putF64(values);
    const r = tailWithIndex(arena, ptr, n, confidence);
    expect(Array.from(arena.i32(r.indexPtr, n))).toEqual(Array.from(order));
    arena.release(mark);
    compare(values, confidence, 'killer');
  });
});

describe('esTail: definitions and edge cases', () => {
  it('10,000 scenarios at 97.5 %: k snaps to 250 (not 250.00000000000023), VaR = L(250)', () => {
    expect(10_000 * (1 - 0.975)).not.toBe(250); // the floating-point product the snapping fixes
    expect(tailSize(10_000, 0.975)).toBe(250);
    const losses = Float64Array.from({ length: 10_000 }, (_, i) => i + 1); // L(j) = 10001 - j
    const r = tailOfArray(arena, losses, 0.975);
    expect(r.k).toBe(250);
    expect(r.m).toBe(250);
    expect(r.var).toBe(10_001 - 250);
    // ES = mean of L(1..250) = (10000 + 9751) / 2.
    expect(r.es).toBe((10_000 + 9_751) / 2);
  });

  it('fractional k: ES weights L(floor k + 1) by k - floor k (n = 10, 85 %: k = 1.5)', () => {
    const losses = [5, -1, 9, 3, 7, 0, 1, 2, 8, 4];
    const r = tailOfArray(arena, losses, 0.85);
    expect(r.k).toBeCloseTo(1.5, 14);
    expect(r.m).toBe(2);
    expect(r.var).toBe(8);
    expect(r.es).toBeCloseTo((9 + 0.5 * 8) / 1.5, 13);
  });

  it('k < 1: VaR = ES = the largest loss', () => {
    const r = tailOfArray(arena, [3, -2, 11, 4], 0.9); // k = 0.4
    expect(r.m).toBe(1);
    expect(r.var).toBe(11);
    expect(r.es).toBe(11);
  });

  it('n = 1 and all-equal losses', () => {
    expect(tailOfArray(arena, [-7.5], 0.975)).toEqual({ var: -7.5, es: -7.5, k: 0.025000000000000022, m: 1 });
    const r = tailOfArray(arena, new Array(1000).fill(3.25), 0.99);
    expect(r.var).toBe(3.25);
    expect(r.es).toBeCloseTo(3.25, 14);
  });

  it('reorders in place: positions 0..m-1 hold the m largest, VaR at m - 1', () => {
    const rng = new Rng(303);
    const src = randomLosses(rng, 5000, 2);
    const mark = arena.mark();
    const ptr = arena.putF64(src);
    const r = tailOf(arena, ptr, 5000, 0.99);
    const after = arena.f64(ptr, 5000);
    const sorted = Float64Array.from(src).sort().reverse();
    expect(Float64Array.from(after).sort().reverse()).toEqual(sorted);
    expect(after[r.m - 1]).toBe(sorted[r.m - 1]);
    for (let i = 0; i < r.m; i++) expect(after[i]).toBeGreaterThanOrEqual(after[r.m - 1]);
    for (let i = r.m; i < 5000; i++) expect(after[i]).toBeLessThanOrEqual(after[r.m - 1]);
    arena.release(mark);
  });

  it('is invariant under shuffling the scenarios', () => {
    const rng = new Rng(304);
    const a = randomLosses(rng, 3001, 0);
    const b = Float64Array.from(a);
    for (let i = b.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [b[i], b[j]] = [b[j], b[i]];
    }
    const ra = tailOfArray(arena, a, 0.975), rb = tailOfArray(arena, b, 0.975);
    expect(rb.var).toBe(ra.var);
    expect(Math.abs(rb.es - ra.es)).toBeLessThanOrEqual(TOL * Math.abs(ra.es));
  });

  it('rejects NaN or infinite losses (status 2, STATUS_NOT_FINITE) and bad confidence (status 1)', () => {
    const k = arena.kernels;
    const mark = arena.mark();
    const out = arena.allocF64(4);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const ptr = arena.putF64([1, 2, bad, 4]);
      expect(k.esTail(ptr, 4, 0.5, out)).toBe(2);
      expect(k.esTailIndex(ptr, arena.allocI32(4), 4, 0.5, out)).toBe(2);
      expect(() => tailOfArray(arena, [1, 2, bad, 4], 0.5)).toThrow(/NaN or infinite/);
    }
    // Large enough for the prefilter (which checks the values in its partition pass), with the bad
    // value in the sample, outside it, first and last.
    const n = 10_000;
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 1, Math.floor((7 * n) / 512), n - 1]) {
        const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
        v[at] = bad;
        for (const c of [0.975, 0.99]) {
          expect(k.esTail(arena.putF64(v), n, c, out), `${bad} at ${at}, ${c}`).toBe(2);
          expect(k.esTailIndex(arena.putF64(v), arena.allocI32(n), n, c, out), `${bad} at ${at}, ${c}`).toBe(2);
        }
      }
    }
    const ptr = arena.putF64([1, 2]);
    for (const c of [0, 1, -0.5, 1.5, NaN]) expect(k.esTail(ptr, 2, c, out)).toBe(1);
    expect(k.esTail(ptr, 0, 0.5, out)).toBe(1);
    expect(() => tailOfArray(arena, [], 0.5)).toThrow(RangeError);
    expect(() => tailOfArray(arena, [1], 1)).toThrow(RangeError);
    arena.release(mark);
  });
});

describe('esTailIndex: tail scenarios for Euler allocation', () => {
  it('index is the permutation applied to the losses; index[0..m) are the m largest; weights rebuild ES', () => {
    const rng = new Rng(305);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 4000);
      const c = rng.pick(CONFIDENCES);
      const src = randomLosses(rng, n, t % 3);
      const mark = arena.mark();
      const ptr = arena.putF64(src);
      const r = tailWithIndex(arena, ptr, n, c);
      const after = arena.f64(ptr, n);
      const idx = arena.i32(r.indexPtr, n);
      const seen = new Uint8Array(n);
      for (let j = 0; j < n; j++) {
        if (after[j] !== src[idx[j]]) throw new Error(`case ${t}: position ${j} holds ${after[j]}, index says ${src[idx[j]]}`);
        seen[idx[j]]++;
      }
      expect(seen.every((x) => x === 1)).toBe(true);
      const ref = esTailRef(src, c);
      expect(r.var).toBe(ref.var);
      // Weighted tail from the original losses: weights 1, the last k - (m - 1).
      let s = 0;
      for (let j = 0; j < r.m; j++) s += (j < r.m - 1 ? 1 : r.k - (r.m - 1)) * src[idx[j]];
      expect(Math.abs(s / r.k - ref.es)).toBeLessThanOrEqual(TOL * tailScale(src, r.m, r.k) * 10);
      // The tail set holds the m largest losses (as a multiset).
      const tailVals = Array.from(idx.subarray(0, r.m), (i) => src[i]).sort((x, y) => y - x);
      const top = Array.from(src).sort((x, y) => y - x).slice(0, r.m);
      expect(tailVals).toEqual(top);
      arena.release(mark);
    }
  });

  it('tailScenarios returns the original indices of the tail', () => {
    const losses = [10, 50, 20, 40, 30];
    const r = tailScenarios(arena, losses, 0.6); // k = 2
    expect(r.m).toBe(2);
    expect(Array.from(r.scenarios).sort()).toEqual([1, 3]);
    expect(r.es).toBe(45);
    expect(r.var).toBe(40);
  });
});
