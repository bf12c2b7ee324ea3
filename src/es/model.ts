/**
 * Expected-shortfall margin (contract section 5, Monte Carlo, STANS style): the cube of every
 * instrument over the simulated scenarios is built once; a portfolio's loss vector is one
 * `aggregate` call over its positions, then `esTail` selects the tail in linear time.
 */
import { InputError } from '../errors.js';
import { STATUS_OK } from '../layout.js';
import type { EsSpec, ResolvedMarket } from '../market/types.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { buildCube, type Cube } from '../cube/cube.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { resolvePositions } from '../portfolio/resolve.js';
import type { MarginResult, Method } from '../results.js';
import { parseErrorResult, type MarginModel, type PortfolioLike } from '../model.js';

export interface EsModelOptions {
  /** The ES parameters; default the market's `risk.es`. */
  es?: EsSpec;
  kernels?: KernelExports;
}

/** VaR/ES margin over any scenario set whose cube is built: Monte Carlo here, history for FHS. */
export class TailModel implements MarginModel {
  readonly method: Method;
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

  constructor(method: Method, market: ResolvedMarket, arena: Arena, scenarios: ScenarioSet, confidence: number, maintenanceRatio: number) {
    this.method = method;
    this.market = market;
    this.arena = arena;
    this.scenarios = scenarios;
    this.confidence = confidence;
    this.maintenanceRatio = maintenanceRatio;
    this.cube = buildCube(arena, market, scenarios);
    this.scratchMark = arena.mark();
    this.grow(64);
  }

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
    const n = instr.length;
    if (n > this.cap) this.grow(Math.max(n, this.cap * 2));
    const a = this.arena;
    a.i32(this.posInstr, n).set(instr);
    const q = a.f64(this.posQty, n);
    for (let p = 0; p < n; p++) q[p] = -qty[p]; // loss = -P&L
    a.i32(this.posRow, n).fill(0);
    const sc = this.scenarios;
    const status = a.kernels.aggregate(this.cube.ptr, sc.stride, sc.nScen, this.posInstr, this.posQty, this.posRow, n, this.losses, 1);
    return status === STATUS_OK ? this.losses : -1 - status;
  }

  margin(portfolio: PortfolioLike): MarginResult {
    const method = this.method;
    if (portfolio.positions === undefined) return parseErrorResult(portfolio, method);
    const id = portfolio.id;
    const resolved = resolvePositions(this.market, portfolio.positions);
    if (typeof resolved === 'string') return { ok: false, portfolio: id, method, code: 'E_UNKNOWN_INSTRUMENT', message: resolved };
    const losses = this.lossVector(resolved.instr, resolved.qty);
    const status = losses < 0 ? -1 - losses : this.arena.kernels.esTail(losses, this.scenarios.nScen, this.confidence, this.out);
    if (status !== STATUS_OK) {
      return { ok: false, portfolio: id, method, code: 'E_INTERNAL', message: `${method} kernel returned status ${status}` };
    }
    const o = this.arena.f64(this.out, 2);
    const v = o[0], es = o[1];
    if (!Number.isFinite(v) || !Number.isFinite(es)) {
      return { ok: false, portfolio: id, method, code: 'E_INTERNAL', message: `${method}: VaR or ES is not finite` };
    }
    const initial = Math.max(es, 0);
    return { ok: true, portfolio: id, method, initialMargin: initial, maintenanceMargin: this.maintenanceRatio * initial, var: v, es };
  }

  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[] {
    const results: MarginResult[] = [];
    for (const p of portfolios) results.push(this.margin(p));
    return results;
  }
}

/** Monte Carlo expected-shortfall margin for one market. */
export class EsModel extends TailModel {
  readonly spec: EsSpec;

  constructor(market: ResolvedMarket, options: EsModelOptions = {}) {
    const spec = options.es ?? market.risk.es;
    if (!spec) {
      throw new InputError(`${market.source}: risk.es: the es method needs a risk.es block, found none`, { file: market.source, path: 'risk.es' });
    }
    const arena = new Arena(options.kernels ?? instantiateKernels());
    super('es', market, arena, buildMonteCarloScenarios(arena, market, spec), spec.confidence, spec.maintenanceRatio);
    this.spec = spec;
  }
}

export function createEsModel(market: ResolvedMarket, options: EsModelOptions = {}): EsModel {
  return new EsModel(market, options);
}
