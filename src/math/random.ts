/**
 * The one small seeded pseudo-random generator of the demo book, the example history, the
 * benchmarks' books and the tests' random inputs: mulberry32 (32-bit state, period 2^32).
 * Not for simulation methods: the ES engine has its own generator (Philox4x32-10) with its own
 * guarantees. The same state gives the same sequence on every platform and Node version (only
 * 32-bit integer arithmetic and one division by 2^32; normal() uses Math.log, Math.sqrt and
 * Math.cos, so only data generators use it, never a result).
 */
export class Mulberry32 {
  protected state: number;

  /** @param state the initial 32-bit state (any number, cut to 32 bits). */
  constructor(state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** +1 or -1 with probability pLong of +1. */
  sign(pLong = 0.5): 1 | -1 {
    return this.next() < pLong ? 1 : -1;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** An index drawn with probability proportional to weights[i] (weights >= 0, sum > 0). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal (Box-Muller, two uniforms, one draw per call). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Lognormal with the given median and log-standard deviation. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}
