// The engine against an independent implementation of the grid (scripts/grid-crosscheck.py:
// Python with scipy's normal CDF, sharing no code with the engine) on the bundled market and the
// first portfolios of the demo book. Tolerance: 1e-9 relative.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { packageFile } from '../src/paths.js';

interface Case { portfolio: string; positions: { instrument: string; quantity: number }[]; initialMargin: number }

describe('grid margin vs an independent Python implementation', () => {
  it('agrees on the example market within 1e-9 relative', () => {
    const fixture = JSON.parse(readFileSync(packageFile('test', 'fixtures', 'grid-crosscheck.json'), 'utf8')) as { cases: Case[] };
    const market = parseMarket(readFileSync(packageFile('examples', 'market.json'), 'utf8'), 'examples/market.json');
    const model = createGridModel(market);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(400);
    let worst = 0;
    for (const c of fixture.cases) {
      const r = model.margin({ id: c.portfolio, positions: c.positions });
      if (!r.ok) throw new Error(`${c.portfolio}: ${r.message}`);
      const err = Math.abs(r.initialMargin - c.initialMargin) / Math.max(Math.abs(c.initialMargin), 1e-6);
      if (!(err <= 1e-9)) throw new Error(`${c.portfolio}: engine ${r.initialMargin}, python ${c.initialMargin}`);
      worst = Math.max(worst, err);
    }
    console.log(`grid vs python: ${fixture.cases.length} portfolios, max relative difference ${worst.toExponential(2)}`);
  });
});
