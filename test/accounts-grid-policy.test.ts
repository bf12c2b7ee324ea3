// The account layer's grid policy agrees with the grid model's (docs/accounts.md, "Requirements"):
// the long option minimum capped at each long position's market value (FINRA Rule 4210(g), issue 9
// item 5), the grid's marginMultiplier applied to every requirement (item 7), and inverse
// settlement read from the market loader's marking (item 26).
//
// Tolerances: the account layer and the grid model run the same kernels (revalue, aggregate or
// the account's rows, gridReduce) on the same market, so their requirements agree to rounding:
// 1e-12 relative is asked. The cheap-option case is checked against its closed form q x V.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMarket } from '../src/market/load.js';
import { validateGrid } from '../src/market/grid-spec.js';
import type { MarketInput, ResolvedMarket } from '../src/market/types.js';
import { createGridModel } from '../src/models/grid.js';
import { valueMarket } from '../src/valuation.js';
import { linearMarket, resolveAccountMarket, type AccountMarket } from '../src/accounts/market.js';
import { resolveAccounts } from '../src/accounts/parse.js';
import { marginAccounts } from '../src/accounts/margin.js';
import { MarginBook } from '../src/book/book.js';
import { ScenarioEngine } from '../src/accounts/engine.js';
import { createAccount } from '../src/accounts/state.js';
import { ownMargin } from '../src/accounts/evaluation.js';
import { parseAccounts } from '../src/accounts/parse.js';
import type { AccountMargin, AccountMarginOk, AccountsFileInput, MarginMode } from '../src/accounts/types.js';
import { packageFile } from '../src/paths.js';
import { CLI } from './helpers/cli.js';

function ok(r: AccountMargin): AccountMarginOk {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.message}`);
  return r;
}
function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

const exampleJson = (): MarketInput => JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
const example = resolveMarket(exampleJson(), 'examples/market.json');
const exampleAm = resolveAccountMarket(exampleJson(), 'examples/market.json');
const values = new Map(valueMarket(example).map((v) => [v.instrument, v.value]));

type Pos = { instrument: string; quantity: number };
/** One account of `positions`, the given mode, 10 million USD of cash collateral (no collateral risk). */
function accountsOf(books: Record<string, Pos[]>, mode: MarginMode): AccountsFileInput {
  return { accounts: Object.entries(books).map(([id, positions]) => ({ account: id, mode, collateral: { USD: 1e7 }, positions })) };
}
function marginIn(am: AccountMarket, file: AccountsFileInput, grid?: ReturnType<typeof validateGrid>): AccountMarginOk[] {
  return marginAccounts(am, resolveAccounts(file, 'accounts.json', am.market), { method: 'grid', ...(grid ? { grid } : {}) }).map(ok);
}
function gridIm(market: ResolvedMarket, positions: Pos[], grid?: ReturnType<typeof validateGrid>): { initial: number; maintenance: number } {
  const r = createGridModel(market, grid ? { grid } : {}).margin({ id: 'P', positions });
  if (!r.ok) throw new Error(r.message);
  return { initial: r.initialMargin, maintenance: r.maintenanceMargin };
}

// The example market's grid: shortOptionMinimum = longOptionMinimum = 0.375 a unit; AAPL options of
// contract size 100 (a long option minimum of 37.5 a contract before the cap), AAPL at 230.
const CHEAP = 'AAPL-18DEC26-270-C';
const BOOKS: Record<string, Pos[]> = {
  CHEAP_LONG: [{ instrument: CHEAP, quantity: 10 }],
  LONG_STRADDLE: [{ instrument: 'AAPL-15JAN27-230-C', quantity: 2 }, { instrument: 'AAPL-15JAN27-230-P', quantity: 2 }],
  MIXED: [
    { instrument: CHEAP, quantity: 25 }, { instrument: 'NVDA-18DEC26-190-C', quantity: 4 }, { instrument: 'AAPL-18DEC26-190-P', quantity: 6 },
    { instrument: 'AAPL-18DEC26-230-C', quantity: -3 },
    { instrument: 'BTC-PERP', quantity: -0.5 }, { instrument: 'BTC-27NOV26-82500-C', quantity: 2 }, { instrument: 'AAPL', quantity: 50 },
  ],
  SHORT_ONLY: [{ instrument: 'AAPL-18DEC26-250-C', quantity: -5 }, { instrument: 'ETH-PERP', quantity: 3 }],
};

describe('accounts: the long option minimum is capped at the position\'s market value (item 5)', () => {
  it('one cheap long option is charged min(longOptionMinimum x cs, value) per contract, in every mode', () => {
    const V = values.get(CHEAP)!;
    // The example's cheapest AAPL option, an out-of-the-money call: worth less than the 37.5 minimum of a contract.
    expect(V).toBeGreaterThan(0);
    expect(V).toBeLessThan(0.375 * 100 / 3);
    const [r] = marginIn(exampleAm, accountsOf({ A: BOOKS.CHEAP_LONG }, 'portfolio'));
    // The scan risk of a long option is below its value, so the charge is the capped minimum 10 V.
    for (const mode of ['portfolio', 'cross', 'isolated'] as const) {
      expect(rel(r.modes[mode].initialMargin, 10 * Math.min(0.375 * 100, V)), mode).toBeLessThanOrEqual(1e-12);
      expect(rel(r.modes[mode].maintenanceMargin, 0.8 * 10 * V), mode).toBeLessThanOrEqual(1e-12);
    }
    expect(r.modes.portfolio.initialMargin).toBeLessThan(10 * 37.5);
    expect(rel(r.modes.portfolio.initialMargin, gridIm(example, BOOKS.CHEAP_LONG).initial)).toBeLessThanOrEqual(1e-12);
  });

  it('portfolio mode with cash collateral equals the grid model\'s initial margin on long, short and mixed books', () => {
    const rs = marginIn(exampleAm, accountsOf(BOOKS, 'portfolio'));
    for (const r of rs) {
      const g = gridIm(example, BOOKS[r.account]);
      expect(g.initial, r.account).toBeGreaterThan(0);
      expect(rel(r.initialMargin, g.initial), `${r.account}: ${r.initialMargin} vs ${g.initial}`).toBeLessThanOrEqual(1e-12);
      expect(rel(r.maintenanceMargin, g.maintenance), r.account).toBeLessThanOrEqual(1e-12);
    }
  });

  it('cross mode: each position alone is charged what the grid model charges it alone', () => {
    const [r] = marginIn(exampleAm, accountsOf({ MIXED: BOOKS.MIXED }, 'cross'));
    const items = new Map(r.standalone!.map((s) => [s.item, s.initialMargin]));
    let sum = 0;
    for (const p of BOOKS.MIXED) {
      const g = gridIm(example, [p]).initial;
      sum += g;
      expect(rel(items.get(p.instrument)!, g), p.instrument).toBeLessThanOrEqual(1e-12);
    }
    expect(rel(r.modes.cross.initialMargin, sum)).toBeLessThanOrEqual(1e-12);
  });

  it('the cap moves with the market: after a spot move the book agrees with the grid model on the moved market', () => {
    const book = new MarginBook(exampleAm, resolveAccounts(accountsOf(BOOKS, 'portfolio'), 'accounts.json', exampleAm.market));
    // AAPL falls 10 %: the cheap put gains value, its capped minimum with it.
    expect(book.apply({ type: 'price', underlying: 'AAPL', spot: 207 }).ok).toBe(true);
    const moved = resolveMarket(book.snapshotMarket(), 'snapshot');
    for (const id of Object.keys(BOOKS)) {
      const g = gridIm(moved, BOOKS[id]);
      expect(rel(book.margin(id).modes.portfolio.initialMargin, g.initial), id).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('accounts: the grid\'s marginMultiplier is applied as the grid model applies it (item 7)', () => {
  const rawGrid = (exampleJson().risk as { grid: Record<string, unknown> }).grid;
  const plain = validateGrid(rawGrid, 'grid', '', example);
  const buffered = validateGrid({ ...rawGrid, marginMultiplier: 1.25 }, 'grid', '', example);

  it('portfolio mode equals the buffered grid model\'s initial and maintenance margin', () => {
    const rs = marginIn(exampleAm, accountsOf(BOOKS, 'portfolio'), buffered);
    for (const r of rs) {
      const g = gridIm(example, BOOKS[r.account], buffered);
      expect(rel(r.initialMargin, g.initial), r.account).toBeLessThanOrEqual(1e-12);
      expect(rel(r.maintenanceMargin, g.maintenance), r.account).toBeLessThanOrEqual(1e-12);
      expect(rel(r.initialMargin, 1.25 * gridIm(example, BOOKS[r.account], plain).initial), r.account).toBeLessThanOrEqual(1e-12);
    }
  });

  it('every mode is 1.25 x the unbuffered requirement, each standalone item too; equity is unchanged', () => {
    const file = accountsOf(BOOKS, 'isolated');
    const r0 = marginIn(exampleAm, file, plain), r1 = marginIn(exampleAm, file, buffered);
    r1.forEach((r, k) => {
      const b = r0[k];
      expect(r.equity).toBe(b.equity);
      for (const mode of ['portfolio', 'cross', 'isolated'] as const) {
        expect(b.modes[mode].initialMargin, `${r.account} ${mode}`).toBeGreaterThan(0);
        expect(rel(r.modes[mode].initialMargin, 1.25 * b.modes[mode].initialMargin), `${r.account} ${mode}`).toBeLessThanOrEqual(1e-15);
        expect(rel(r.modes[mode].maintenanceMargin, 0.8 * r.modes[mode].initialMargin), `${r.account} ${mode}`).toBeLessThanOrEqual(1e-15);
      }
      r.standalone!.forEach((s, i) => expect(rel(s.initialMargin, 1.25 * b.standalone![i].initialMargin), s.item).toBeLessThanOrEqual(1e-15));
      // Cross: each position alone is the buffered grid model's margin of it alone.
      for (const p of BOOKS[r.account]) {
        const s = r.standalone!.find((x) => x.item === p.instrument)!;
        expect(rel(s.initialMargin, gridIm(example, [p], buffered).initial), p.instrument).toBeLessThanOrEqual(1e-12);
      }
    });
  });

  it('a coin-margined account and collateral at risk: 1.25 x in every mode, on the book\'s hot path too', () => {
    const file: AccountsFileInput = {
      assets: { BTC: { haircut: 0.1 }, ETH: { haircut: 0.2 } },
      accounts: (['portfolio', 'cross', 'isolated'] as const).flatMap((mode) => [
        { account: `BTC-${mode}`, mode, numeraire: 'BTC', collateral: { BTC: 2, ETH: 5 }, positions: BOOKS.MIXED },
        { account: `USD-${mode}`, mode, collateral: { USD: 1e5, ETH: 5 }, positions: BOOKS.SHORT_ONLY },
      ]),
    };
    const r0 = marginIn(exampleAm, file, plain), r1 = marginIn(exampleAm, file, buffered);
    r1.forEach((r, k) => {
      for (const mode of ['portfolio', 'cross', 'isolated'] as const) {
        expect(r0[k].modes[mode].initialMargin, `${r.account} ${mode}`).toBeGreaterThan(0);
        expect(rel(r.modes[mode].initialMargin, 1.25 * r0[k].modes[mode].initialMargin), `${r.account} ${mode}`).toBeLessThanOrEqual(1e-14);
      }
    });
    // The book's hot path (ownMargin) gives the same own-mode numbers, bit for bit.
    const resolved = resolveAccounts(file, 'accounts.json', exampleAm.market);
    const eng = new ScenarioEngine(exampleAm, resolved.assets.values(), { method: 'grid', grid: buffered });
    resolved.accounts.forEach((entry, k) => {
      if ('error' in entry) throw new Error(entry.error);
      const own = ownMargin(eng, createAccount(eng, entry), { equity: 0, initialMargin: 0, maintenanceMargin: 0, excess: 0, status: 'healthy' });
      const r = r1[k];
      expect(own, r.account).toEqual({ equity: r.equity, initialMargin: r.initialMargin, maintenanceMargin: r.maintenanceMargin, excess: r.excess, status: r.status });
    });
  });
});

describe('margin-engine accounts on a calibrated market with a buffer (dist/src/cli/main.js, built by pretest)', () => {
  it('margins the bundled accounts (exit 0) at 1.25 x the unbuffered requirements, as the library does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-accounts-apc-'));
    const json = exampleJson() as unknown as { risk: { grid: Record<string, unknown> } };
    json.risk.grid.marginMultiplier = 1.25;
    const market = join(dir, 'buffered.json');
    writeFileSync(market, JSON.stringify(json));
    const accounts = packageFile('examples', 'accounts.json');
    const run = spawnSync(process.execPath, [CLI, 'accounts', '--market', market, '--accounts', accounts, '--format', 'ndjson'],
      { encoding: 'utf8', cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { account: string; initial_margin: number; modes: Record<MarginMode, { initial_margin: number }> });
    const file = parseAccounts(readFileSync(accounts, 'utf8'), 'examples/accounts.json', exampleAm);
    const plain = marginAccounts(exampleAm, file).map(ok);
    expect(rows.map((r) => r.account)).toEqual(plain.map((r) => r.account));
    rows.forEach((r, k) => {
      for (const mode of ['portfolio', 'cross', 'isolated'] as const) {
        expect(rel(r.modes[mode].initial_margin, 1.25 * plain[k].modes[mode].initialMargin), `${r.account} ${mode}`).toBeLessThanOrEqual(1e-14);
      }
    });
    expect(rows.some((r) => r.initial_margin > 0)).toBe(true);
  });
});

describe('accounts: inverse settlement is the market loader\'s rule (item 26)', () => {
  const hand = (): MarketInput => ({
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: { BTC: { spot: 80000, rate: 0.04, vol: 0.6 } },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-INV': { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' },
    },
    risk: { grid: { points: [{ move: -0.25 }, { move: 0 }, { move: 0.25 }], volMoves: [0], maintenanceRatio: 0.75 } },
  } as unknown as MarketInput);

  it('resolveAccountMarket gives the loader\'s market, inverse instruments marked as the loader marks them', () => {
    const am = resolveAccountMarket(hand(), 'hand.json');
    expect(Array.from(am.market.instruments.inverse!)).toEqual([0, 1]);
    expect(Array.from(am.inverse)).toEqual([0, 1]);
    expect(am.market.instruments.inverse).not.toBe(am.inverse);
  });

  it('a market from the loader itself (parseMarket, resolveMarket) margins its inverse contracts as inverse', () => {
    const file: AccountsFileInput = {
      accounts: [
        { account: 'USD', collateral: { USD: 10000 }, positions: [{ instrument: 'BTC-INV', quantity: -1000, price: 100000 }] },
        { account: 'BTC', numeraire: 'BTC', collateral: { BTC: 1 }, positions: [{ instrument: 'BTC-INV', quantity: 1000 }] },
      ],
    };
    const viaAccounts = marginAccounts(resolveAccountMarket(hand(), 'hand.json'), resolveAccounts(file, 'a.json', resolveAccountMarket(hand(), 'hand.json'))).map(ok);
    const loaded = resolveMarket(hand(), 'hand.json');
    for (const am of [linearMarket(loaded), loaded as unknown as AccountMarket]) {
      const rs = marginAccounts(am, resolveAccounts(file, 'a.json', loaded)).map(ok);
      expect(rs).toEqual(viaAccounts);
    }
    // Short 1,000 inverse contracts of 10 USD entered at 100,000, marked at 80,000: a coin value of
    // -10,000 (1/100,000 - 1/80,000) = 0.025 BTC, 2,000 USD; a linear contract of size 10 would show
    // -1,000 x 10 x (80,000 - 100,000) = 2e8 USD.
    expect(rel(viaAccounts[0].unrealisedPnl, 2000)).toBeLessThanOrEqual(1e-12);
  });

  it('a spot with settlement "inverse" is the loader\'s error, with its message', () => {
    const m = hand() as unknown as { instruments: Record<string, unknown> };
    m.instruments.BTC = { kind: 'spot', underlying: 'BTC', settlement: 'inverse' };
    const msg = 'hand.json: instruments.BTC.settlement: unknown field for a spot (expected one of: kind, underlying, contractSize)';
    expect(() => resolveMarket(m, 'hand.json')).toThrow(msg);
    expect(() => resolveAccountMarket(m, 'hand.json')).toThrow(msg);
  });
});
