/**
 * A margin model: a market with its scenario set and P&L cube built, ready to margin portfolios
 * synchronously in-process (the path for latency-sensitive embedding: no worker hop). Every
 * method (grid, es, fhs, with or without stress and allocation) is one of these, and the batch
 * workers run the same marginNetted() over the shared cube.
 */
import type { MarginError, MarginResult, Method } from '../results.js';
import type { ResolvedMarket } from '../market/types.js';
import { groupPortfolios, type PortfolioInput } from '../portfolio/resolve.js';
import type { Netter } from '../portfolio/net.js';

/** A portfolio, or a portfolio that failed to parse (it becomes an error result). */
export type PortfolioLike = PortfolioInput | { id: string; error: string; positions?: undefined };

export interface MarginModel {
  readonly method: Method;
  readonly market: ResolvedMarket;
  /**
   * Margins one portfolio. Never throws for a bad portfolio object (not an object, no string id,
   * positions not a list, a bad position): it gives an error result (E_PORTFOLIO, or
   * E_UNKNOWN_INSTRUMENT for an instrument id the market lacks).
   */
  margin(portfolio: PortfolioLike): MarginResult;
  /**
   * Margins many portfolios: one result per portfolio id, in order of its first appearance; objects
   * with the same id are one portfolio (their positions together), as rows of a file are.
   */
  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[];
  /**
   * The result of resolved, netted positions instr[from..to) (instrument indices of the market)
   * with quantities qty[from..to), under the id `id`: margin() after netting, and the batch
   * workers, run this. Never throws.
   */
  marginNetted(id: string, instr: Int32Array, qty: Float64Array, from: number, to: number): MarginResult;
}

/** margin() of any model: the portfolio netted once (`netter`), then marginNetted. */
export function marginPortfolio(model: MarginModel, netter: Netter, portfolio: unknown): MarginResult {
  const n = netter.net(portfolio);
  if (typeof n !== 'number') return { ok: false, portfolio: n.id, method: model.method, code: n.code, message: n.message } satisfies MarginError;
  return model.marginNetted((portfolio as { id: string }).id, netter.instr, netter.qty, 0, n);
}

/** marginAll of any model: the portfolios grouped by id (groupPortfolios), then margin() of each. */
export function marginEach(model: MarginModel, portfolios: Iterable<PortfolioLike>): MarginResult[] {
  const grouped = groupPortfolios(portfolios);
  const results: MarginResult[] = new Array(grouped.length);
  for (let k = 0; k < grouped.length; k++) results[k] = model.margin(grouped[k]);
  return results;
}
