/**
 * Expected-shortfall margin (docs/methods.md §5, Monte Carlo, STANS style): the cube of every
 * instrument over the simulated scenarios is built once; a portfolio's loss vector is one
 * `aggregate` call over its positions, then `esTail` selects the tail in linear time.
 *
 * The policy lives in `tailResolved` (resolved, netted positions in, numbers out): `margin()` and
 * the batch engine's workers both call it.
 */
import { STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import type { ErrorCode } from '../errors.js';
import { firstInverse, inverseMessage, NOT_FINITE_PNL, NOT_FINITE_WHY } from './grid.js';
import type { EsInput, EsSpec, PresetId, ResolvedMarket } from '../market/types.js';
import { checkMarket, checkOptions } from '../options.js';
import { methodScenarios, resolveMethod, type MethodSetup } from './setup.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { buildCube, checkCube, type Cube } from '../cube/cube.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { Netter } from '../portfolio/net.js';
import type { TailMarginResult } from '../results.js';
import { marginEach, marginPortfolio, type MarginModel, type PortfolioLike } from './model.js';
import { maintenanceMargin, tailInitialMargin } from '../policy/tail.js';
import { tailWithIndex, type TailStats } from '../kernels/es.js';

export interface EsModelOptions {
  /** The ES parameters (validated, or the block's JSON form; checked against the market); default the market's `risk.es`. */
  es?: EsSpec | EsInput;
  kernels?: KernelExports;
  /** The arena to allocate in (its kernels are used); default a fresh arena over `kernels`. */
  arena?: Arena;
  /**
   * The cube of this market under these scenarios, already built in the arena's memory, with the
   * scenario set it was built from (both, or neither): skips the simulation and the build.
   */
  cube?: Cube;
  scenarios?: ScenarioSet;
}

/** VaR and ES of one portfolio: what tailResolved writes. */
export interface TailNumbers {
  var: number;
  es: number;
  initialMargin: number;
  maintenanceMargin: number;
}

/** VaR/ES margin over any scenario set whose cube is built: Monte Carlo here, history for FHS. */
export class TailModel implements MarginModel {
  readonly method: 'es' | 'fhs';
  readonly market: ResolvedMarket;
  readonly scenarios: ScenarioSet;
  readonly cube: Cube;
  readonly confidence: number;
  readonly maintenanceRatio: number;
  protected readonly arena: Arena;
  private readonly scratchMark: number;
  private cap = 0;
  private posInstr = 0;
  private posQty = 0;
  private posRow = 0;
  private losses = 0;
  private out = 0;

  /** @param cube the cube of `market` under `scenarios`, already built in `arena`'s memory; default built here. */
  constructor(
    method: 'es' | 'fhs', market: ResolvedMarket, arena: Arena, scenarios: ScenarioSet, confidence: number, maintenanceRatio: number,
    cube?: Cube,
  ) {
    this.method = method;
    this.market = market;
    this.arena = arena;
    this.scenarios = scenarios;
    this.confidence = confidence;
    this.maintenanceRatio = maintenanceRatio;
    if (cube) checkCube(cube, market, scenarios);
    this.cube = cube ?? buildCube(arena, market, scenarios);
    this.scratchMark = arena.mark();
    this.grow(64);
    this.netter = new Netter(market);
  }

  /** margin()'s netting (docs/methods.md §3), into arrays reused between calls. */
  readonly netter: Netter;
  /** The preset whose block the model margins with (EsModel, FhsModel set it from their block), stated in every ok result. */
  preset: PresetId | undefined;

  private grow(cap: number): void {
    const a = this.arena;
    a.release(this.scratchMark);
    this.cap = cap;
    this.posInstr = a.allocI32(cap);
    this.posQty = a.allocF64(cap);
    this.posRow = a.allocI32(cap);
    this.losses = a.allocF64(this.scenarios.stride);
    this.out = a.allocF64(4);
  }

  /**
   * Loss vector of netted positions (instrument indices, quantities) written at the model's loss
   * buffer; returns its pointer or a kernel status < 0.
   */
  protected lossVector(instr: Int32Array, qty: Float64Array): number {
    return this.lossVectorOf(instr, qty, 0, instr.length);
  }

  /** lossVector of positions instr[from..to), qty[from..to). */
  private lossVectorOf(instr: ArrayLike<number>, qty: ArrayLike<number>, from: number, to: number): number {
    const n = to - from;
    if (n > this.cap) this.grow(Math.max(n, this.cap * 2));
    const a = this.arena;
    const ins = a.i32(this.posInstr, n);
    const q = a.f64(this.posQty, n);
    const row = this.cube.row;
    for (let p = 0; p < n; p++) {
      ins[p] = row[instr[from + p]];
      q[p] = -qty[from + p]; // loss = -P&L
    }
    a.i32(this.posRow, n).fill(0);
    const sc = this.scenarios;
    const status = a.kernels.aggregate(this.cube.ptr, sc.stride, sc.nScen, this.posInstr, this.posQty, this.posRow, n, this.losses, 1);
    return status === STATUS_OK ? this.losses : -1 - status;
  }

  /**
   * The margin policy on resolved, netted positions instr[from..to) (instrument indices of the
   * market) with quantities qty[from..to): writes VaR, ES and the margins into `out` and returns
   * undefined, or returns the reason (one line, an internal error) when a kernel fails or a number
   * is not finite. The same code serves margin() and the batch engine's workers.
   */
  tailResolved(instr: ArrayLike<number>, qty: ArrayLike<number>, from: number, to: number, out: TailNumbers): string | undefined {
    const method = this.method;
    const inv = firstInverse(this.market, instr, from, to);
    if (inv >= 0) { this.lastErrorCode = 'E_PORTFOLIO'; return inverseMessage(this.market, inv, method); }
    const losses = this.lossVectorOf(instr, qty, from, to);
    const status = losses < 0 ? -1 - losses : this.arena.kernels.esTail(losses, this.scenarios.nScen, this.confidence, this.out);
    if (status === STATUS_NOT_FINITE) { this.lastErrorCode = 'E_PORTFOLIO'; return NOT_FINITE_PNL; }
    if (status !== STATUS_OK) { this.lastErrorCode = 'E_INTERNAL'; return `${method} kernel returned status ${status}`; }
    const o = this.arena.f64(this.out, 2);
    const v = o[0], es = o[1];
    if (!Number.isFinite(v) || !Number.isFinite(es)) { this.lastErrorCode = 'E_PORTFOLIO'; return `${method}: VaR or ES is not finite: ${NOT_FINITE_WHY}`; }
    const initial = tailInitialMargin(es);
    out.var = v;
    out.es = es;
    out.initialMargin = initial;
    out.maintenanceMargin = maintenanceMargin(this.maintenanceRatio, initial);
    return undefined;
  }

  /**
   * The result of resolved, netted positions instr[from..to) with quantities qty[from..to) under
   * the id `id`: what margin() returns after netting, and what a batch worker returns.
   */
  marginNetted(id: string, instr: Int32Array, qty: Float64Array, from: number, to: number): TailMarginResult {
    const method = this.method;
    const t = this.numbers;
    const error = this.tailResolved(instr, qty, from, to, t);
    if (error !== undefined) return { ok: false, portfolio: id, method, code: this.lastErrorCode, message: error };
    return {
      ok: true, portfolio: id, method, initialMargin: t.initialMargin, maintenanceMargin: t.maintenanceMargin, var: t.var, es: t.es,
      ...(this.preset ? { preset: this.preset } : {}),
    };
  }

  /**
   * The loss `-(P&L)` of resolved, netted positions instr[from..to) with quantities qty[from..to)
   * in every scenario of the set, written to out[at .. at + nScen): the vector the tail is taken of
   * (the backtest's realized losses are this over the realized scenarios). Returns undefined, or
   * the reason (as tailResolved: an inverse contract, a loss that is not finite, a kernel status).
   */
  scenarioLosses(instr: ArrayLike<number>, qty: ArrayLike<number>, from: number, to: number, out: Float64Array, at: number): string | undefined {
    const inv = firstInverse(this.market, instr, from, to);
    if (inv >= 0) { this.lastErrorCode = 'E_PORTFOLIO'; return inverseMessage(this.market, inv, this.method); }
    const losses = this.lossVectorOf(instr, qty, from, to);
    if (losses < 0) {
      if (-1 - losses === STATUS_NOT_FINITE) { this.lastErrorCode = 'E_PORTFOLIO'; return NOT_FINITE_PNL; }
      this.lastErrorCode = 'E_INTERNAL';
      return `${this.method} aggregate kernel returned status ${-1 - losses}`;
    }
    const n = this.scenarios.nScen;
    const v = this.arena.f64(losses, n);
    for (let s = 0; s < n; s++) {
      if (!Number.isFinite(v[s])) { this.lastErrorCode = 'E_PORTFOLIO'; return NOT_FINITE_PNL; }
    }
    out.set(v, at);
    return undefined;
  }

  margin(portfolio: PortfolioLike): TailMarginResult {
    return marginPortfolio(this, this.netter, portfolio) as TailMarginResult;
  }

  private readonly numbers: TailNumbers = { var: 0, es: 0, initialMargin: 0, maintenanceMargin: 0 };

  /** The code of the reason tailResolved last returned: E_PORTFOLIO for a non-finite loss, else E_INTERNAL. */
  lastErrorCode: ErrorCode = 'E_INTERNAL';

  marginAll(portfolios: Iterable<PortfolioLike>): TailMarginResult[] {
    return marginEach(this, portfolios) as TailMarginResult[];
  }

  /**
   * The tail of netted positions' loss vector, for an Euler allocation of ES: VaR, ES, k, m and the
   * m tail scenarios (original indices, the VaR scenario last; weight 1 each, the last k - (m - 1)).
   * Throws (code E_INTERNAL) when a kernel fails.
   */
  tailScenarios(instr: Int32Array, qty: Float64Array): TailStats & { scenarios: Int32Array } {
    const losses = this.lossVector(instr, qty);
    if (losses < 0) throw Object.assign(new Error(`${this.method} aggregate kernel returned status ${-1 - losses}`), { code: 'E_INTERNAL' });
    const mark = this.arena.mark();
    try {
      const r = tailWithIndex(this.arena, losses, this.scenarios.nScen, this.confidence);
      return { var: r.var, es: r.es, k: r.k, m: r.m, scenarios: this.arena.i32(r.indexPtr, r.m).slice() };
    } finally {
      this.arena.release(mark);
    }
  }
}

/** Monte Carlo expected-shortfall margin for one market. */
export class EsModel extends TailModel {
  readonly spec: EsSpec;

  constructor(market: ResolvedMarket, options: EsModelOptions = {}) {
    checkMarket(market, 'createEsModel');
    options = checkOptions(options, 'createEsModel');
    const setup = resolveMethod(market, { method: 'es', es: options.es, stress: null }) as MethodSetup & { method: 'es' };
    const spec = setup.spec;
    if ((options.cube === undefined) !== (options.scenarios === undefined)) {
      throw new Error('EsModel: give both cube and scenarios (the set the cube was built from), or neither');
    }
    const arena = options.arena ?? new Arena(options.kernels ?? instantiateKernels());
    const scenarios = options.scenarios ?? methodScenarios(arena, market, setup);
    super('es', market, arena, scenarios, spec.confidence, spec.maintenanceRatio, options.cube);
    this.spec = spec;
    this.preset = spec.preset;
  }

  /** A model over a cube already built in `arena`'s memory from `scenarios` (see EsModelOptions.cube). */
  static overCube(market: ResolvedMarket, es: EsSpec, arena: Arena, scenarios: ScenarioSet, cube: Cube): EsModel {
    return new EsModel(market, { es, arena, scenarios, cube });
  }
}

export function createEsModel(market: ResolvedMarket, options: EsModelOptions = {}): EsModel {
  return new EsModel(market, options);
}
