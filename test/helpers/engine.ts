// Checks several test files share: the batch engine against the in-process model on 1 and 2
// threads, bit for bit; the margin book against a from-scratch run of the account layer after
// each of some events, within 1e-9 relative (floor 1 numeraire unit).
import { expect } from 'vitest';
import type { ResolvedMarket } from '../../src/market/types.js';
import type { PortfolioLike } from '../../src/models/model.js';
import { createMarginModel } from '../../src/models/create.js';
import { createBatchEngine } from '../../src/batch/engine.js';
import { resolveAccountMarket } from '../../src/accounts/market.js';
import { resolveAccounts } from '../../src/accounts/parse.js';
import { marginAccounts } from '../../src/accounts/margin.js';
import type { MarginBook } from '../../src/book/book.js';
import { parseEvent } from '../../src/book/events.js';
import { ok } from './results.js';

/** For each method: the batch engine's initial margins on 1 and 2 threads equal the in-process ones, bit for bit. */
export async function expectThreadsMatchInProcess(
  market: ResolvedMarket, portfolios: PortfolioLike[], methods: readonly ('grid' | 'es')[] = ['grid'],
): Promise<number[][]> {
  const all: number[][] = [];
  for (const method of methods) {
    const want = createMarginModel(market, { method }).marginAll(portfolios).map((r) => ok(r).initialMargin);
    for (const threads of [1, 2]) {
      const e = await createBatchEngine({ market, method, threads });
      try {
        expect((await e.marginAll(portfolios)).map((r) => ok(r).initialMargin), `${method} threads ${threads}`).toEqual(want);
      } finally {
        await e.close();
      }
    }
    all.push(want);
  }
  return all;
}

/**
 * Applies each event to `book`; after each, every account's initial margin, equity and option value
 * equal a from-scratch run (marginAccounts) on the book's snapshot. Returns the snapshots' markets.
 */
export function expectBookMatchesFromScratch(book: MarginBook, events: readonly object[], method: 'grid' | 'es' = 'grid'): unknown[] {
  const snaps: unknown[] = [];
  for (const ev of events) {
    book.apply(parseEvent(ev, 'events'));
    const snap = JSON.parse(JSON.stringify(book.snapshotMarket()));
    snaps.push(snap);
    const m2 = resolveAccountMarket(snap, 'snapshot.json');
    const fresh = marginAccounts(m2, resolveAccounts(JSON.parse(JSON.stringify(book.snapshotAccounts())), 'a.json', m2.market), { method });
    const live = book.marginAll();
    fresh.forEach((f, k) => {
      const l = live[k];
      if (!f.ok || !l.ok) throw new Error(`not ok after ${JSON.stringify(ev)}: ${f.ok ? '' : f.message} ${l.ok ? '' : l.message}`);
      for (const [what, x, y] of [['initial', l.initialMargin, f.initialMargin], ['equity', l.equity, f.equity], ['options', l.optionValue, f.optionValue]] as const) {
        expect(Math.abs(x - y), `${JSON.stringify(ev)}: ${f.account} ${what}: book ${x}, from scratch ${y}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)));
      }
    });
  }
  return snaps;
}
