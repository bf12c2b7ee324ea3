// Error codes across the worker boundary (issue 9, items 23 and 24): the batch engine's error rows
// carry the code the in-process model gives, for every kind of error row, on grid and es, with one
// thread (in-process handler) and two (worker threads): an inverse contract and a P&L that is not
// finite (decided in the worker) are E_PORTFOLIO, an unknown instrument E_UNKNOWN_INSTRUMENT, a bad
// portfolio object or a row that failed to parse E_PORTFOLIO; the messages are the same too.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { createEsModel } from '../src/models/tail.js';
import { createBatchEngine } from '../src/batch/engine.js';
import { ndjsonRow } from '../src/io/output.js';
import type { MarketInput } from '../src/market/types.js';
import type { PortfolioLike } from '../src/models/model.js';
import type { MarginResult } from '../src/results.js';

const input = (): MarketInput => ({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: {
    BTC: { spot: 97000, rate: 0.04, vol: 0.55 },
    A: { spot: 100, vol: 0.3, group: 'G' }, B: { spot: 100, vol: 0.3, group: 'G' },
  },
  instruments: {
    'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
    'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-25T08:00:00Z', vol: 0.55 },
    'BTC-INV': { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' },
    A: { kind: 'spot', underlying: 'A' }, B: { kind: 'spot', underlying: 'B' },
  },
  risk: {
    grid: { points: [{ move: -0.5 }, { move: 0 }, { move: 0.1 }], volMoves: [0] },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 1000, seed: 3 },
  },
});

const P = (id: string, ...pos: [string, number][]) => ({ id, positions: pos.map(([instrument, quantity]) => ({ instrument, quantity })) });

/** Each kind of error row, the code margin() gives it, and an ok portfolio between them. */
const CASES: [PortfolioLike, string][] = [
  [P('INV', ['BTC-PERP', 1], ['BTC-INV', -5]), 'E_PORTFOLIO'],                 // inverse contract (worker)
  [P('FINE', ['BTC-PERP', -2]), 'ok'],
  [P('HUGE', ['BTC-PERP', -1e306], ['BTC-C', 1]), 'E_PORTFOLIO'],              // P&L overflows (worker)
  [P('SUM', ['A', 1.2e307], ['B', 1.2e307]), 'E_PORTFOLIO'],                   // finite losses, the sum not (worker)
  [P('UNK', ['BTC-PERP', 1], ['NOPE', 2]), 'E_UNKNOWN_INSTRUMENT'],            // unknown instrument
  [{ id: 'NULL', positions: null } as unknown as PortfolioLike, 'E_PORTFOLIO'], // positions not a list
  [{ id: 'NONE' } as unknown as PortfolioLike, 'E_PORTFOLIO'],                  // no positions
  [P('NAN', ['BTC-PERP', Number.NaN]), 'E_PORTFOLIO'],                         // quantity not finite
  [{ id: 'PARSE', error: 'row 3: quantity "abc" is not a finite number' }, 'E_PORTFOLIO'], // a row that failed to parse
  [P('FINE2', ['BTC-PERP', 3], ['BTC-C', -1]), 'ok'],
];

const market = resolveMarket(input(), 'm.json');
const models = { grid: createGridModel(market), es: createEsModel(market) };

function codeOf(r: MarginResult): string {
  return r.ok ? 'ok' : r.code;
}

describe('the batch engine\'s error rows carry the in-process model\'s code and message', () => {
  for (const method of ['grid', 'es'] as const) {
    it(`${method}: margin() gives each kind its code (the reference)`, () => {
      const inProcess = models[method].marginAll(CASES.map(([p]) => p));
      expect(inProcess.map(codeOf)).toEqual(CASES.map(([, c]) => c));
    });

    for (const threads of [1, 2]) {
      it(`${method}, threads ${threads}: engine.marginAll() equals margin() on every row (code and message)`, async () => {
        const portfolios = CASES.map(([p]) => p);
        const inProcess = models[method].marginAll(portfolios);
        const engine = await createBatchEngine({ market, method, threads });
        try {
          const results = await engine.marginAll(portfolios);
          expect(results.map(codeOf)).toEqual(CASES.map(([, c]) => c));
          expect(results.length).toBe(inProcess.length);
          for (let k = 0; k < results.length; k++) {
            const r = results[k], q = inProcess[k];
            expect(r.portfolio).toBe(q.portfolio);
            if (!r.ok && !q.ok) {
              expect({ code: r.code, message: r.message }).toEqual({ code: q.code, message: q.message });
            } else if (r.ok && q.ok) {
              expect(r.initialMargin).toBe(q.initialMargin);
              expect(r.maintenanceMargin).toBe(q.maintenanceMargin);
            }
          }

          // engine.run() as NDJSON: the same rows, codes included, as ndjsonRow of margin()'s results.
          let text = '';
          const sink = new Writable({ write(chunk, _e, cb) { text += chunk.toString(); cb(); } });
          await engine.run(portfolios, sink, { format: 'ndjson' });
          const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { portfolio: string; code?: string; error?: string });
          expect(lines.map((l) => l.code ?? 'ok')).toEqual(CASES.map(([, c]) => c));
          expect(text).toBe(inProcess.map((q) => ndjsonRow(q)).join(''));
        } finally {
          await engine.close();
        }
      });
    }
  }
});
