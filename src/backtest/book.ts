/**
 * The book of a backtest: every portfolio netted once (src/portfolio/net.ts, the one netting
 * function), as flat arrays that the per-date models, the realized-loss cube and the worker pool
 * all read: positions offsets[k] .. offsets[k+1] of `instr` (instrument indices of the market) and
 * `qty` are portfolio k's. A portfolio that cannot be netted (a bad row, an instrument the market
 * lacks) keeps its place, with no positions and its error.
 */
import type { ErrorCode } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import { groupPortfolios } from '../portfolio/resolve.js';
import { Netter } from '../portfolio/net.js';
import type { PortfolioLike } from '../models/model.js';

export interface NettedBook {
  ids: string[];
  offsets: Int32Array;
  instr: Int32Array;
  qty: Float64Array;
  /** Per portfolio: why it cannot be margined at all (undefined: it can). */
  errors: ({ code: ErrorCode; message: string } | undefined)[];
}

/** The portfolios grouped by id (as a file's rows are), netted against `market`. */
export function netBook(market: ResolvedMarket, portfolios: Iterable<PortfolioLike>): NettedBook {
  const grouped = groupPortfolios(portfolios);
  const netter = new Netter(market);
  const ids: string[] = [];
  const errors: NettedBook['errors'] = [];
  const offsets = new Int32Array(grouped.length + 1);
  let instr = new Int32Array(Math.max(16, grouped.length * 4));
  let qty = new Float64Array(instr.length);
  let at = 0;
  grouped.forEach((p, k) => {
    ids.push(p.id);
    const n = 'error' in p && typeof p.error === 'string' ? { code: 'E_PORTFOLIO' as const, message: p.error } : netter.net(p);
    if (typeof n === 'number') {
      if (at + n > instr.length) {
        const cap = Math.max(at + n, instr.length * 2);
        const i2 = new Int32Array(cap); i2.set(instr); instr = i2;
        const q2 = new Float64Array(cap); q2.set(qty); qty = q2;
      }
      instr.set(netter.instr.subarray(0, n), at);
      qty.set(netter.qty.subarray(0, n), at);
      at += n;
      errors.push(undefined);
    } else {
      errors.push({ code: n.code, message: n.message });
    }
    offsets[k + 1] = at;
  });
  return { ids, offsets, instr: instr.slice(0, at), qty: qty.slice(0, at), errors };
}

/** The book's arrays copied into shared memory, for the worker pool (read in place, never copied again). */
export function sharedBook(book: NettedBook): { offsets: Int32Array; instr: Int32Array; qty: Float64Array } {
  const share = <T extends Int32Array | Float64Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
    const out = make(new SharedArrayBuffer(Math.max(8, a.byteLength)));
    out.set(a as never);
    return out.length === a.length ? out : out.subarray(0, a.length) as T;
  };
  return {
    offsets: share(book.offsets, (b) => new Int32Array(b)),
    instr: share(book.instr, (b) => new Int32Array(b)),
    qty: share(book.qty, (b) => new Float64Array(b)),
  };
}

/** Underlying indices of the market that some position of the book refers to, ascending. */
export function bookUnderlyings(market: ResolvedMarket, book: NettedBook): number[] {
  const used = new Uint8Array(market.underlyings.ids.length);
  for (const i of book.instr) used[market.instruments.underlying[i]] = 1;
  const out: number[] = [];
  used.forEach((x, u) => { if (x) out.push(u); });
  return out;
}
