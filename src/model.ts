/**
 * A margin model: a market with its scenario set and P&L cube built, ready to margin portfolios
 * synchronously in-process (the path for latency-sensitive embedding: no worker hop).
 */
import type { MarginResult, Method } from './results.js';
import type { PortfolioInput } from './portfolio/resolve.js';

/** A portfolio, or a portfolio that failed to parse (it becomes an error result). */
export type PortfolioLike = PortfolioInput | { id: string; error: string; positions?: undefined };

export interface MarginModel {
  readonly method: Method;
  /** Margins one portfolio. Never throws for bad positions: they give an error result. */
  margin(portfolio: PortfolioLike): MarginResult;
  /** Margins many portfolios: exactly one result per portfolio, in order. */
  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[];
}

export function parseErrorResult(p: { id: string; error: string }, method: Method): MarginResult {
  return { ok: false, portfolio: p.id, method, code: 'E_PORTFOLIO', message: p.error };
}
