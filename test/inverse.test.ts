// One rule for inverse settlement (issue 9, item 26): the market snapshot accepts
// `"settlement": "inverse"` (as the account layer uses it); the run methods (grid, es, fhs) margin
// in the market's currency and give a portfolio holding an inverse contract an error row naming it
// and pointing to `margin-engine accounts`, without rejecting the market or touching the others.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { createEsModel } from '../src/models/tail.js';
import { createFhsModel } from '../src/models/fhs.js';
import { createBatchEngine } from '../src/batch/engine.js';
import type { MarketInput } from '../src/market/types.js';
import type { MarginResult } from '../src/results.js';
import { CLI } from './helpers/cli.js';

const input = (): MarketInput => ({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 97000, rate: 0.04, vol: 0.55 } },
  instruments: {
    'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
    'BTC-INV': { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' },
  },
  risk: {
    grid: { points: [{ move: -0.1 }, { move: 0.1 }], volMoves: [0] },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 1000, seed: 3 },
    fhs: { confidence: 0.975, horizonDays: 1, seedReturns: 5 },
  },
});

const WANT = 'instrument "BTC-INV" settles inverse (in its coin): the METHOD method margins every position in USD and cannot '
  + 'margin an inverse contract; margin it with `margin-engine accounts`, in a coin-margined account';

const inv = { id: 'INV', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-INV', quantity: -5 }] };
const lin = { id: 'LIN', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] };

function check(rs: MarginResult[], method: string, code = 'E_PORTFOLIO'): void {
  expect(rs).toHaveLength(2);
  const [a, b] = rs;
  expect(a.ok).toBe(false);
  if (!a.ok) {
    expect(a.code).toBe(code);
    expect(a.message).toBe(WANT.replace('METHOD', method));
    expect(a.message).not.toMatch(/v1/);
  }
  expect(b.ok).toBe(true);
}

describe('inverse settlement: accepted by the market, refused per portfolio by the run methods', () => {
  const market = resolveMarket(input(), 'm.json');

  it('the market accepts it and marks the instrument', () => {
    expect(Array.from(market.instruments.inverse!)).toEqual([0, 1]);
    expect(resolveMarket({ ...input(), instruments: { P: { kind: 'perpetual', underlying: 'BTC' } } }, 'm.json').instruments.inverse).toBeUndefined();
  });

  it('grid: an error row for the portfolio holding it; the other portfolio margined (2 x 9,700 = 19,400)', () => {
    const rs = createGridModel(market).marginAll([inv, lin]);
    check(rs, 'grid');
    if (rs[1].ok) expect(Math.abs(rs[1].initialMargin - 19400)).toBeLessThanOrEqual(1e-9 * 19400);
  });

  it('es and fhs', () => {
    check(createEsModel(market).marginAll([inv, lin]), 'es');
    const days = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2026, 9, 1) + i * 86400000).toISOString().slice(0, 10));
    const history = 'date,underlying,price\n' + days.map((d, i) => `${d},BTC,${90000 + 1000 * Math.sin(i)}\n`).join('');
    check(createFhsModel(market, { history }).marginAll([inv, lin]), 'fhs');
  });

  it('the batch engine (two threads)', async () => {
    const engine = await createBatchEngine({ market, method: 'grid', threads: 2 });
    try {
      // The same code as margin() in-process (E_PORTFOLIO), carried across the worker boundary.
      check(await engine.marginAll([inv, lin]), 'grid');
    } finally {
      await engine.close();
    }
  });

  it('margin-engine run: exit 0, the error row names the instrument and points to accounts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-inverse-'));
    const m = join(dir, 'market.json');
    writeFileSync(m, JSON.stringify(input()));
    const book = join(dir, 'book.csv');
    writeFileSync(book, 'portfolio,instrument,quantity\nINV,BTC-PERP,1\nINV,BTC-INV,-5\nLIN,BTC-PERP,-2\n');
    for (const threads of ['1', '2']) {
      const r = spawnSync(process.execPath, [CLI, 'run', '--market', m, '--portfolios', book, '--threads', threads], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const rows = r.stdout.trim().split('\n');
      expect(rows[1]).toContain('INV,grid,,,error,');
      expect(rows[1]).toContain('margin it with `margin-engine accounts`, in a coin-margined account');
      expect(rows[2]).toMatch(/^LIN,grid,19400/);
      expect(r.stdout + r.stderr).not.toMatch(/after v1/);
    }
  });
});
