/**
 * Host side of the expected-shortfall kernels: Monte Carlo spot shocks (assembly/shocks.ts,
 * ShockKernel), the VaR/ES tail (assembly/tail.ts, TailKernel: esTail and esTailIndex) and the
 * scenario random streams (assembly/rng.ts, RngKernel: philoxBlock and rngSample).
 *
 * Each wrapper owns the arena regions its kernel reads and writes (src/kernels/region.ts) and
 * turns a status into a KernelError, or, for a status that is data (STATUS_NOT_FINITE of the
 * tail: the losses hold NaN or infinite values), into a typed outcome.
 *
 * The functions below keep their allocation behaviour: generateShocks and tailWithIndex leave
 * their output in the arena for the caller (take `arena.mark()` before and
 * `arena.release(mark)` when done); the others, and the *Array variants, release what they took.
 */
import type { Arena } from '../wasm/arena.js';
import {
  paddedStride, STATUS_OK, STATUS_NOT_FINITE, SEED_LIMIT, SHOCK_NORMAL, SHOCK_STUDENT_T,
  RNG_UNIFORM, RNG_NORMAL, RNG_CHI_SQUARED, TAIL_VAR, TAIL_ES, TAIL_K, TAIL_M, TAIL_NOUT,
} from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, I32Region } from './region.js';

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
 * The esShocks kernel: spot multipliers of Monte Carlo scenarios into the regions it owns (the
 * Cholesky factor, the scales and the nU x stride multipliers). generate() throws a RangeError for
 * bad parameters (checked before the kernel runs) and a KernelError if the kernel refuses them.
 */
export class ShockKernel {
  private readonly chol: F64Region;
  private readonly scale: F64Region;
  private readonly out: F64Region;

  constructor(readonly arena: Arena) {
    this.chol = new F64Region(arena);
    this.scale = new F64Region(arena);
    this.out = new F64Region(arena);
  }

  /**
   * Spot multipliers out[u * stride + s] = exp(scale_u z_u) of scenarios firstScenario ..
   * firstScenario + nScen - 1 (docs/methods.md §8.2), in this wrapper's output region: valid until
   * the next call.
   */
  generate(p: ShockParams): Shocks {
    const { first, nU, stride, dist, nu } = checkShockParams(p);
    const cholPtr = this.chol.put(p.chol);
    const scalePtr = this.scale.put(p.scale);
    const ptr = this.out.ensure(Math.max(1, nU * stride));
    const status = this.arena.kernels.esShocks(p.seed, first, p.nScen, nU, cholPtr, scalePtr, dist, nu, stride, ptr);
    if (status !== STATUS_OK) throw new KernelError('esShocks', status);
    return { ptr, nU, nScen: p.nScen, stride };
  }

  /** A live view of the multipliers of the last generate() (nU x stride). */
  view(shocks: Shocks): Float64Array {
    return this.out.f64(shocks.nU * shocks.stride);
  }
}

function checkShockParams(p: ShockParams): { first: number; nU: number; stride: number; dist: number; nu: number } {
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
  const dist = p.distribution === 'student-t' ? SHOCK_STUDENT_T : p.distribution === 'normal' ? SHOCK_NORMAL : -1;
  if (dist < 0) throw new RangeError(`generateShocks: unknown distribution ${String(p.distribution)}`);
  const nu = p.degreesOfFreedom ?? 0;
  if (dist === SHOCK_STUDENT_T && !(nu > 2 && Number.isFinite(nu))) {
    throw new RangeError(`generateShocks: student-t needs degreesOfFreedom > 2, got ${p.degreesOfFreedom}`);
  }
  return { first, nU, stride, dist, nu };
}

/**
 * Generates spot multipliers out[u * stride + s] = exp(scale_u z_u) of scenarios
 * firstScenario..firstScenario + nScen - 1 (docs/methods.md) into fresh arena memory, left to the
 * caller. Throws a RangeError for bad parameters.
 */
export function generateShocks(arena: Arena, p: ShockParams): Shocks {
  return new ShockKernel(arena).generate(p);
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

/** The tail of losses that hold a NaN or an infinity (STATUS_NOT_FINITE): data, for the caller to report. */
export interface TailNotFinite {
  ok: false;
  status: typeof STATUS_NOT_FINITE;
}
export type TailOutcome = (TailStats & { ok: true }) | TailNotFinite;

/**
 * The esTail and esTailIndex kernels, with their output region (TAIL_NOUT f64) and, for
 * withIndex, the index region (n i32) owned here. Arguments are checked first (RangeError); a
 * status other than STATUS_OK and STATUS_NOT_FINITE is a KernelError.
 */
export class TailKernel {
  private readonly out: F64Region;
  private readonly index: I32Region;

  constructor(readonly arena: Arena) {
    this.out = new F64Region(arena);
    this.index = new I32Region(arena);
  }

  /** VaR and ES of the n losses at `lossesPtr` (reordered in place, as tailOf). */
  tail(lossesPtr: number, n: number, confidence: number): TailOutcome {
    checkTailArgs(n, confidence);
    const out = this.out.ensure(TAIL_NOUT);
    return this.outcome('esTail', this.arena.kernels.esTail(lossesPtr, n, confidence, out));
  }

  /**
   * As tail(), and the index region (this.indexPtr) holds the original scenario of each reordered
   * loss (as tailWithIndex); valid until the next call.
   */
  withIndex(lossesPtr: number, n: number, confidence: number): TailOutcome {
    checkTailArgs(n, confidence);
    const indexPtr = this.index.ensure(n);
    const out = this.out.ensure(TAIL_NOUT);
    return this.outcome('esTailIndex', this.arena.kernels.esTailIndex(lossesPtr, indexPtr, n, confidence, out));
  }

  /** The offset of the index region of the last withIndex(). */
  get indexPtr(): number { return this.index.ptr; }

  /** A live view of the first `m` indices of the last withIndex(). */
  indices(m: number): Int32Array { return this.index.i32(m); }

  private outcome(kernel: string, status: number): TailOutcome {
    if (status === STATUS_NOT_FINITE) return { ok: false, status };
    if (status !== STATUS_OK) throw new KernelError(kernel, status);
    const o = this.out.f64(TAIL_NOUT);
    return { ok: true, var: o[TAIL_VAR], es: o[TAIL_ES], k: o[TAIL_K], m: o[TAIL_M] };
  }
}

function runTail(arena: Arena, lossesPtr: number, indexPtr: number, n: number, confidence: number): TailStats {
  checkTailArgs(n, confidence);
  const mark = arena.mark();
  try {
    const out = arena.allocF64(TAIL_NOUT);
    const status = indexPtr === 0
      ? arena.kernels.esTail(lossesPtr, n, confidence, out)
      : arena.kernels.esTailIndex(lossesPtr, indexPtr, n, confidence, out);
    if (status === STATUS_NOT_FINITE) {
      throw new KernelError(indexPtr === 0 ? 'esTail' : 'esTailIndex', status, `the ${n} losses contain NaN or infinite values`);
    }
    if (status !== STATUS_OK) throw new KernelError(indexPtr === 0 ? 'esTail' : 'esTailIndex', status);
    const o = arena.f64(out, TAIL_NOUT);
    return { var: o[TAIL_VAR], es: o[TAIL_ES], k: o[TAIL_K], m: o[TAIL_M] };
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

/** Kinds of rngSample draws (assembly/layout.ts). */
export { RNG_UNIFORM, RNG_NORMAL, RNG_CHI_SQUARED };

/**
 * The scenario-stream kernels: philoxBlock (the generator's known-answer block) and rngSample
 * (uniforms, normals or chi-squared draws), with their output regions owned here. A refused
 * argument is a RangeError (rngSample) as before; the results are copies.
 */
export class RngKernel {
  private readonly out: F64Region;
  private readonly block: I32Region;

  constructor(readonly arena: Arena) {
    this.out = new F64Region(arena);
    this.block = new I32Region(arena);
  }

  /** See sampleStreams. */
  sample(seed: number, first: number, nScen: number, kind: number, nPer: number, nu = 0): Float64Array {
    const out = this.out.ensure(Math.max(1, nScen * nPer));
    const status = this.arena.kernels.rngSample(seed, first, nScen, kind, nu, nPer, out);
    if (status !== STATUS_OK) throw new RangeError(`rngSample: bad arguments (status ${status})`);
    return this.out.f64(nScen * nPer).slice();
  }

  /** See philoxBlockWasm. */
  philox(ctr: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
    const out = this.block.ensure(4);
    const status = this.arena.kernels.philoxBlock(ctr[0] | 0, ctr[1] | 0, ctr[2] | 0, ctr[3] | 0, key[0] | 0, key[1] | 0, out);
    if (status !== STATUS_OK) throw new KernelError('philoxBlock', status);
    const w = new Uint32Array(this.block.i32(4).slice().buffer);
    return [w[0], w[1], w[2], w[3]];
  }
}

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
    return new RngKernel(arena).sample(seed, first, nScen, kind, nPer, nu);
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
    return new RngKernel(arena).philox(ctr, key);
  } finally {
    arena.release(mark);
  }
}
