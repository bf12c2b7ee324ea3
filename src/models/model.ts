/**
 * A margin model: a market with its scenario set and P&L cube built, ready to margin portfolios
 * synchronously in-process (the path for latency-sensitive embedding: no worker hop).
 */
import type { MarginResult, Method } from '../results.js';
import { groupPortfolios, type PortfolioInput } from '../portfolio/resolve.js';

/** A portfolio, or a portfolio that failed to parse (it becomes an error result). */
export type PortfolioLike = PortfolioInput | { id: string; error: string; positions?: undefined };

export interface MarginModel {
  readonly method: Method;
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
}

export function parseErrorResult(p: { id: string; error: string }, method: Method): MarginResult {
  return { ok: false, portfolio: p.id, method, code: 'E_PORTFOLIO', message: p.error };
}

/** The error result of a portfolio object that cannot be margined, with the reason `problem`. */
export function problemResult(p: unknown, problem: string, method: Method): MarginResult {
  const id = typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string' ? (p as { id: string }).id : '';
  return { ok: false, portfolio: id, method, code: 'E_PORTFOLIO', message: problem };
}

/** marginAll of any model: the portfolios grouped by id (groupPortfolios), then margin() of each. */
export function marginEach(model: MarginModel, portfolios: Iterable<PortfolioLike>): MarginResult[] {
  const grouped = groupPortfolios(portfolios);
  const results: MarginResult[] = new Array(grouped.length);
  for (let k = 0; k < grouped.length; k++) results[k] = model.margin(grouped[k]);
  return results;
}
