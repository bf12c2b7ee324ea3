/**
 * A margin model whose results carry the Euler allocation (src/policy/allocation.ts) of the initial
 * margin over each portfolio's netted positions (`result.allocation`, in order of first appearance
 * of the instrument).
 */
import { InputError, show } from '../errors.js';
import { GridModel } from './grid.js';
import { TailModel } from './tail.js';
import { resolvePositions } from '../portfolio/resolve.js';
import { marginEach, type MarginModel, type PortfolioLike } from './model.js';
import type { MarginResult, Method } from '../results.js';
import { gridShares, tailShares } from '../policy/allocation.js';

export class AllocatingModel implements MarginModel {
  readonly method: Method;

  constructor(readonly inner: GridModel | TailModel) {
    this.method = inner.method;
  }

  margin(portfolio: PortfolioLike): MarginResult {
    const r = this.inner.margin(portfolio);
    if (!r.ok || portfolio.positions === undefined) return r;
    const pos = resolvePositions(this.inner.market, portfolio.positions);
    if (typeof pos === 'string') return r; // cannot happen: the model resolved them
    try {
      const allocation = this.inner instanceof GridModel
        ? gridShares(this.inner, pos, r) : tailShares(this.inner, pos, r.initialMargin);
      const bad = allocation.find((row) => !Number.isFinite(row.initialMargin));
      if (bad) {
        return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_PORTFOLIO',
          message: `allocation: the share of ${JSON.stringify(bad.instrument)} is not finite (${bad.initialMargin})` };
      }
      return { ...r, allocation };
    } catch (e) {
      return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_INTERNAL', message: `allocation: ${(e as Error).message}` };
    }
  }

  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[] {
    return marginEach(this, portfolios);
  }
}

/** Wraps a grid, es or fhs model so that every ok result carries its allocation. */
export function withAllocation(model: GridModel | TailModel): AllocatingModel {
  if (!(model instanceof GridModel) && !(model instanceof TailModel)) {
    throw new InputError(`withAllocation: expected a grid, es or fhs model (createGridModel, createEsModel, createFhsModel), got ${show(model)}`);
  }
  return new AllocatingModel(model);
}
