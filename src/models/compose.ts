/**
 * One model of any method with the parts on top of it: the method's base model (grid, es or fhs)
 * margins the netted positions, then, on the same netted positions (netted once), the Euler
 * allocation of its margin and the named stress scenarios, composed by src/policy/margin.ts (the
 * stress floor; where add-ons will join). The batch workers build the same class over the shared
 * cubes and call the same marginNetted().
 */
import { InputError, show } from '../errors.js';
import type { MarginResult, Method } from '../results.js';
import type { ResolvedMarket } from '../market/types.js';
import { Netter } from '../portfolio/net.js';
import { gridShares, stressShares, tailShares } from '../policy/allocation.js';
import { finalMargin } from '../policy/margin.js';
import { GridModel, NOT_FINITE_WHY } from './grid.js';
import { TailModel } from './tail.js';
import type { StressTest } from './stress.js';
import { marginEach, marginPortfolio, type MarginModel, type PortfolioLike } from './model.js';

export interface ComposedModelOptions {
  /** Named stress scenarios built for the same market (a StressTest). */
  stress?: StressTest;
  /** Attach the Euler allocation of the initial margin to every ok result. */
  allocation?: boolean;
}

export class ComposedModel implements MarginModel {
  readonly method: Method;
  readonly market: ResolvedMarket;
  readonly stress: StressTest | undefined;
  readonly allocation: boolean;
  /** The method's maintenance ratio, applied to a floored initial margin. */
  readonly maintenanceRatio: number;
  private readonly netter: Netter;

  constructor(readonly inner: GridModel | TailModel, options: ComposedModelOptions = {}) {
    if (!(inner instanceof GridModel) && !(inner instanceof TailModel)) {
      throw new InputError(`ComposedModel: expected a grid, es or fhs model (createGridModel, createEsModel, createFhsModel), got ${show(inner)}`);
    }
    this.method = inner.method;
    this.market = inner.market;
    this.stress = options.stress;
    this.allocation = options.allocation === true;
    this.maintenanceRatio = inner instanceof GridModel ? inner.spec.maintenanceRatio : inner.maintenanceRatio;
    this.netter = new Netter(inner.market);
  }

  marginNetted(id: string, instr: Int32Array, qty: Float64Array, from: number, to: number): MarginResult {
    let r: MarginResult = this.inner.marginNetted(id, instr, qty, from, to);
    if (!r.ok) return r;
    const pos = { instr: instr.subarray(from, to), qty: qty.subarray(from, to) };
    if (this.allocation) {
      try {
        const allocation = this.inner instanceof GridModel
          ? gridShares(this.inner, pos, r as { groups?: never }) : tailShares(this.inner, pos, r.initialMargin);
        const bad = allocation.find((row) => !Number.isFinite(row.initialMargin));
        if (bad) {
          return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_PORTFOLIO',
            message: `allocation: the share of ${JSON.stringify(bad.instrument)} is not finite (${bad.initialMargin})` };
        }
        r = { ...r, allocation };
      } catch (e) {
        return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_INTERNAL', message: `allocation: ${(e as Error).message}` };
      }
    }
    const stress = this.stress;
    if (stress === undefined) return r;
    const st = stress.evaluate(pos.instr, pos.qty, r.initialMargin);
    const bad = st.losses.find((l) => !Number.isFinite(l.loss));
    if (bad) {
      return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_PORTFOLIO',
        message: `the loss in stress scenario ${show(bad.scenario)} is not finite (${bad.loss}): ${NOT_FINITE_WHY}` };
    }
    const m = finalMargin(r.initialMargin, this.maintenanceRatio, st.floor);
    if (!m.floored) return { ...r, stress: st };
    const out: MarginResult = { ...r, initialMargin: m.initialMargin, maintenanceMargin: m.maintenanceMargin, stress: st };
    if (r.allocation) out.allocation = stressShares(stress, pos, st.scenario, r.method === 'grid');
    return out;
  }

  margin(portfolio: PortfolioLike): MarginResult {
    return marginPortfolio(this, this.netter, portfolio);
  }

  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[] {
    return marginEach(this, portfolios);
  }
}
