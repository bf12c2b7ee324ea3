/**
 * The margin M_t of every portfolio of the book on each backtest date, with the model as it stood
 * at t (docs/backtesting.md §5.2): the one margin core (a GridModel or TailModel, with the named
 * stress scenarios on top through ComposedModel), built once for a static model and once per date
 * for a dynamic one, in one arena whose memory a date's model gives back when the next is built.
 *
 * - static (grid, es without recalibrate): the market's parameters; M_t is the same every date
 *   (today's positions on today's market under a model that does not move), so it is computed once.
 * - fhs: the filtered scenarios of the history up to and including t (look-back ending at t, the
 *   EWMA volatility of t), the cube of today's market under them.
 * - grid --recalibrate: the grid's scan ranges from the dynamic initial margin calibration
 *   (src/dim/calibrate.ts, default settings) on the history up to t.
 * - es --recalibrate: every underlying's vol (in the Monte Carlo simulation only; the cube is
 *   today's market) from its EWMA volatility at t, lambda 0.94, seeded with 20 returns, annualised
 *   as the calibration does: sigma_daily x sqrt(observations per 365 calendar days).
 *
 * The same class runs in-process and in the pool's workers (src/backtest/worker.ts).
 */
import type { ErrorCode } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import { buildFhsScenarios } from '../scenarios/fhs.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import { logReturns, ewmaFilter } from '../history/ewma.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { createGridModel, GridModel } from '../models/grid.js';
import { TailModel } from '../models/tail.js';
import { StressTest } from '../models/stress.js';
import { ComposedModel } from '../models/compose.js';
import type { MarginModel } from '../models/model.js';
import { annualise } from '../dim/formulas.js';
import { calibrate, DEFAULT_SETTINGS, observationsPerYear } from '../dim/calibrate.js';
import { historyUpTo, RECALIBRATION_SEED, type BacktestPlan } from './plan.js';

/** The EWMA decay of es --recalibrate (the calibration's default, docs/dim.md). */
export const RECALIBRATION_LAMBDA = DEFAULT_SETTINGS.lambda;

/** Where a book's netted positions are (its own arrays, or shared copies in the pool). */
export interface BookArrays {
  offsets: Int32Array;
  instr: Int32Array;
  qty: Float64Array;
}

/** A portfolio that could not be margined on a date. */
export interface MarginFailure {
  portfolio: number;
  date: number;
  code: ErrorCode;
  message: string;
}

/**
 * es --recalibrate: the annualised EWMA vol at `day` of every underlying the history covers (the
 * others keep the market's), lambda 0.94, seed 20 returns, sigma_daily x sqrt(365 n / calendar days).
 * Throws an Error naming the underlying when its history up to `day` is too short or flat.
 */
export function ewmaVols(market: ResolvedMarket, plan: BacktestPlan, day: number): Float64Array {
  const vols = Float64Array.from(market.underlyings.vol);
  const h = historyUpTo(plan.history, day);
  market.underlyings.ids.forEach((id, u) => {
    const s = h.series.get(id);
    if (!s) return;
    const r = logReturns(s.prices);
    if (r.length < RECALIBRATION_SEED) {
      throw new Error(`${id}: ${r.length} returns up to the date, fewer than the ${RECALIBRATION_SEED} the EWMA seed takes`);
    }
    const f = ewmaFilter(r, RECALIBRATION_LAMBDA, RECALIBRATION_SEED);
    const calendarDays = s.days[s.days.length - 1] - s.days[0];
    const vol = annualise(f.sigmaToday, observationsPerYear(r.length, calendarDays));
    if (!(vol > 0) || !Number.isFinite(vol)) throw new Error(`${id}: the EWMA volatility up to the date is ${vol} (a flat or broken series)`);
    vols[u] = vol;
  });
  return vols;
}

export class DateMargins {
  readonly market: ResolvedMarket;
  readonly plan: BacktestPlan;
  /** True when the model follows the date (fhs, --recalibrate); false: one model, one margin per portfolio. */
  readonly dynamic: boolean;
  private readonly arena: Arena;
  private readonly stress: StressTest | undefined;
  private readonly base: number;
  private staticModel: MarginModel | undefined;

  constructor(market: ResolvedMarket, plan: BacktestPlan, kernels: KernelExports = instantiateKernels()) {
    this.market = market;
    this.plan = plan;
    this.dynamic = plan.method === 'fhs' || plan.recalibrate;
    this.arena = new Arena(kernels);
    this.stress = plan.setup.stress ? new StressTest(market, plan.setup.stress) : undefined;
    this.base = this.arena.mark();
  }

  /** The model as it stood at backtest date d (an index of plan.dates). Throws when it cannot be built. */
  private build(d: number): MarginModel {
    const { market, plan, arena } = this;
    const setup = plan.setup;
    let inner: GridModel | TailModel;
    switch (setup.method) {
      case 'grid': {
        const grid = plan.recalibrate
          ? calibrate({ history: historyUpTo(plan.history, plan.days[d]), market, base: plan.gridBase! }).spec
          : setup.spec;
        inner = createGridModel(market, { grid, arena });
        break;
      }
      case 'es': {
        const sim = plan.recalibrate
          ? { ...market, underlyings: { ...market.underlyings, vol: ewmaVols(market, plan, plan.days[d]) } } : market;
        const scen = buildMonteCarloScenarios(arena, sim, setup.spec, setup.path);
        inner = new TailModel('es', market, arena, scen, setup.spec.confidence, setup.spec.maintenanceRatio);
        inner.preset = setup.spec.preset;
        break;
      }
      case 'fhs': {
        const scen = buildFhsScenarios(market, setup.spec, historyUpTo(plan.history, plan.days[d]), setup.path);
        inner = new TailModel('fhs', market, arena, scen, setup.spec.confidence, setup.spec.maintenanceRatio);
        inner.preset = setup.spec.preset;
        break;
      }
    }
    return this.stress ? new ComposedModel(inner, { stress: this.stress }) : inner;
  }

  /**
   * The initial margin of portfolios `from .. to-1` of the book on date d, written to
   * out[at + k - from]; a portfolio flagged in `skip` (an error already) is left as it is (NaN).
   * A portfolio that fails is reported to `fail` and flagged; when the model itself cannot be built
   * on the date, every portfolio not yet flagged fails with the reason.
   */
  marginsAt(d: number, book: BookArrays, from: number, to: number, out: Float64Array, at: number, skip: Uint8Array,
    fail: (f: MarginFailure) => void): void {
    let model: MarginModel;
    try {
      if (this.dynamic) { this.arena.release(this.base); model = this.build(d); } else model = (this.staticModel ??= this.build(d));
    } catch (e) {
      const message = `the ${this.plan.method} model cannot be built on ${this.plan.dates[d]}: ${(e as Error).message}`;
      for (let k = from; k < to; k++) {
        if (skip[k]) continue;
        skip[k] = 1;
        fail({ portfolio: k, date: d, code: 'E_INPUT', message });
      }
      return;
    }
    const { offsets, instr, qty } = book;
    for (let k = from; k < to; k++) {
      if (skip[k]) continue;
      const r = model.marginNetted('', instr, qty, offsets[k], offsets[k + 1]);
      if (r.ok && Number.isFinite(r.initialMargin)) {
        out[at + k - from] = r.initialMargin;
      } else {
        skip[k] = 1;
        fail({ portfolio: k, date: d, code: r.ok ? 'E_PORTFOLIO' : r.code, message: r.ok ? `the margin is ${r.initialMargin}` : r.message });
      }
    }
  }
}
