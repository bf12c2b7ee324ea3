/**
 * Host side of the expected-shortfall kernels: Monte Carlo spot shocks (assembly/shocks.ts), the
 * VaR/ES tail (assembly/tail.ts) and the scenario random streams (assembly/rng.ts).
 *
 * These wrappers allocate in the arena they are given and leave the allocation to the caller
 * (take `arena.mark()` before and `arena.release(mark)` when done), except the *Array variants,
 * which copy in, copy out and release.
 */
import type { Arena } from '../wasm/arena.js';
import type { ErrorCode } from '../errors.js';
import { paddedStride, STATUS_OK } from '../layout.js';

/** An error carrying the E_INTERNAL code: a kernel refused arguments the host built. */
function internalError(message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code: 'E_INTERNAL' as const });
}

const SEED_LIMIT = 2 ** 53;
const I32_MAX = 2 ** 31 - 1;

export type EsDistribution = 'normal' | 'student-t';

export interface ShockParams {
  /** Integer in [0, 2^53). */
  seed: number;
  /** Global index of the first scenario generated (default 0); scenario g depends only on (seed, g). */
  firstScenario?: number;
  /** Scenarios to generate. */
  nScen: number;
  /** nU x nU lower-triangular Cholesky factor of the correlation matrix, row-major (choleskyPsd). */
  chol: ArrayLike<number>;
  /** nU log-return scales vol_u * sqrt(horizonDays / 365) (shockScales). */
  scale: ArrayLike<number>;
  distribution: EsDistribution;
  /** Degrees of freedom (> 2) for 'student-t'. */
  degreesOfFreedom?: number;
  /** Row length (>= nScen); default nScen rounded up to even, as the cube expects. */
  stride?: number;
}

/** Spot multipliers in the arena: nU rows of `stride` f64 at `ptr` (columns nScen.. are 1.0). */
export interface Shocks {
  ptr: number;
  nU: number;
  nScen: number;
  stride: number;
}

/** The log-return scale of each underlying over the horizon: vol_u * sqrt(horizonDays / 365). */
export function shockScales(vols: ArrayLike<number>, horizonDays: number): Float64Array {
  const f = Math.sqrt(horizonDays / 365);
  return Float64Array.from(vols, (v) => v * f);
}

/**
 * Generates spot multipliers out[u * stride + s] = exp(scale_u z_u) of scenarios
 * firstScenario..firstScenario + nScen - 1 (docs/methods.md §8.2) into fresh arena memory.
 * Throws a RangeError for bad parameters.
 */
export function generateShocks(arena: Arena, p: ShockParams): Shocks {
  const first = p.firstScenario ?? 0;
  const nU = p.scale.length;
  const stride = p.stride ?? paddedStride(p.nScen);
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed >= SEED_LIMIT) {
    throw new RangeError(`generateShocks: seed must be an integer in [0, 2^53), got ${p.seed}`);
  }
  if (!Number.isInteger(first) || !Number.isInteger(p.nScen) || first < 0 || p.nScen < 0 || first + p.nScen > I32_MAX) {
    throw new RangeError(`generateShocks: bad scenario range ${first} + ${p.nScen}`);
  }
  if (!Number.isInteger(stride) || stride < p.nScen) throw new RangeError(`generateShocks: stride ${stride} < ${p.nScen}`);
  if (p.chol.length !== nU * nU) throw new RangeError(`generateShocks: chol has ${p.chol.length} values, expected ${nU * nU}`);
  const dist = p.distribution === 'student-t' ? 1 : p.distribution === 'normal' ? 0 : -1;
  if (dist < 0) throw new RangeError(`generateShocks: unknown distribution ${String(p.distribution)}`);
  const nu = p.degreesOfFreedom ?? 0;
  if (dist === 1 && !(nu > 2 && Number.isFinite(nu))) {
    throw new RangeError(`generateShocks: student-t needs degreesOfFreedom > 2, got ${p.degreesOfFreedom}`);
  }
  const cholPtr = arena.putF64(p.chol);
  const scalePtr = arena.putF64(p.scale);
  const ptr = arena.allocF64(Math.max(1, nU * stride));
  const status = arena.kernels.esShocks(p.seed, first, p.nScen, nU, cholPtr, scalePtr, dist, nu, stride, ptr);
  if (status !== STATUS_OK) throw internalError(`esShocks returned status ${status}`);
  return { ptr, nU, nScen: p.nScen, stride };
}

/** A live view of the multipliers (nU x stride). Remake it after the memory grows. */
export function shocksView(arena: Arena, shocks: Shocks): Float64Array {
  return arena.f64(shocks.ptr, shocks.nU * shocks.stride);
}

/** generateShocks into a copy (the arena is returned to its mark). */
export function generateShocksArray(arena: Arena, p: ShockParams): { values: Float64Array; stride: number } {
  const mark = arena.mark();
  try {
    const s = generateShocks(arena, p);
    return { values: shocksView(arena, s).slice(), stride: s.stride };
  } finally {
    arena.release(mark);
  }
}

/** VaR and ES of a loss vector (docs/methods.md §7). */
export interface TailStats {
  var: number;
  es: number;
  /** Tail size k = n (1 - confidence), snapped to an integer within 1e-9 relative. */
  k: number;
  /** ceil(k): scenarios in the tail; the last one has weight k - (m - 1), the others 1. */
  m: number;
}

function checkTailArgs(n: number, confidence: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`tail: need at least one loss, got ${n}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`tail: confidence must be in (0, 1), got ${confidence}`);
}

function runTail(arena: Arena, lossesPtr: number, indexPtr: number, n: number, confidence: number): TailStats {
  checkTailArgs(n, confidence);
  const mark = arena.mark();
  try {
    const out = arena.allocF64(4);
    const status = indexPtr === 0
      ? arena.kernels.esTail(lossesPtr, n, confidence, out)
      : arena.kernels.esTailIndex(lossesPtr, indexPtr, n, confidence, out);
    if (status !== STATUS_OK) throw internalError(`expected-shortfall tail: the ${n} losses contain NaN or infinite values`);
    const o = arena.f64(out, 4);
    return { var: o[0], es: o[1], k: o[2], m: o[3] };
  } finally {
    arena.release(mark);
  }
}

/**
 * VaR and ES of the n losses (f64, positive = loss) at `lossesPtr`. Reorders them in place: after
 * the call positions 0..m-1 hold the m largest losses, the VaR at m - 1.
 */
export function tailOf(arena: Arena, lossesPtr: number, n: number, confidence: number): TailStats {
  return runTail(arena, lossesPtr, 0, n, confidence);
}

/**
 * As tailOf, and returns `indexPtr`: n i32 in fresh arena memory with index[j] the original scenario
 * of the loss now at position j; index[0..m) are the tail scenarios (weight 1, the last
 * k - (m - 1)), for an Euler allocation of ES over positions.
 */
export function tailWithIndex(
  arena: Arena, lossesPtr: number, n: number, confidence: number,
): TailStats & { indexPtr: number } {
  checkTailArgs(n, confidence);
  const indexPtr = arena.allocI32(n);
  return { ...runTail(arena, lossesPtr, indexPtr, n, confidence), indexPtr };
}

/** tailOf on a copy of `losses` (the input is not reordered; the arena is returned to its mark). */
export function tailOfArray(arena: Arena, losses: ArrayLike<number>, confidence: number): TailStats {
  const mark = arena.mark();
  try {
    return tailOf(arena, arena.putF64(losses), losses.length, confidence);
  } finally {
    arena.release(mark);
  }
}

/**
 * tailWithIndex on a copy of `losses`: also returns the tail scenarios (original indices) in the
 * order of the kernel, the last one being the VaR scenario.
 */
export function tailScenarios(
  arena: Arena, losses: ArrayLike<number>, confidence: number,
): TailStats & { scenarios: Int32Array } {
  const mark = arena.mark();
  try {
    const ptr = arena.putF64(losses);
    const r = tailWithIndex(arena, ptr, losses.length, confidence);
    return { var: r.var, es: r.es, k: r.k, m: r.m, scenarios: arena.i32(r.indexPtr, r.m).slice() };
  } finally {
    arena.release(mark);
  }
}

/** Kinds of rngSample draws. */
export const RNG_UNIFORM = 0;
export const RNG_NORMAL = 1;
export const RNG_CHI_SQUARED = 2;

/**
 * Draws of the scenario streams (assembly/rng.ts) for scenarios first..first + nScen - 1: nPer
 * uniforms or normals per scenario (kind RNG_UNIFORM, RNG_NORMAL), or one chi-squared(nu) variate
 * (RNG_CHI_SQUARED, nPer 1). Returns a copy, scenario-major.
 */
export function sampleStreams(
  arena: Arena, seed: number, first: number, nScen: number, kind: number, nPer: number, nu = 0,
): Float64Array {
  const mark = arena.mark();
  try {
    const out = arena.allocF64(Math.max(1, nScen * nPer));
    const status = arena.kernels.rngSample(seed, first, nScen, kind, nu, nPer, out);
    if (status !== STATUS_OK) throw new RangeError(`rngSample: bad arguments (status ${status})`);
    return arena.f64(out, nScen * nPer).slice();
  } finally {
    arena.release(mark);
  }
}

/** The Philox4x32-10 block of a counter and key (u32 words), computed in WebAssembly. */
export function philoxBlockWasm(
  arena: Arena, ctr: readonly [number, number, number, number], key: readonly [number, number],
): [number, number, number, number] {
  const mark = arena.mark();
  try {
    const out = arena.alloc(16, 16);
    arena.kernels.philoxBlock(ctr[0] | 0, ctr[1] | 0, ctr[2] | 0, ctr[3] | 0, key[0] | 0, key[1] | 0, out);
    const w = new Uint32Array(arena.memory.buffer, out, 4);
    return [w[0], w[1], w[2], w[3]];
  } finally {
    arena.release(mark);
  }
}
