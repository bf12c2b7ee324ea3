// Accounts (docs/accounts.md): equity, collateral shocked in the scenarios, haircuts, statuses at
// their thresholds, the three margin modes side by side, coin-margined (inverse) accounts, the
// account file's error messages, and agreement with the from-definition grid reference and the ES
// model on accounts without collateral risk.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { resolveMarket } from '../src/market/load.js';
import type { MarketInput } from '../src/market/types.js';
import { cloneMarket, linearMarket, resolveAccountMarket, type AccountMarket } from '../src/accounts/market.js';
import { parseAccounts, resolveAccounts } from '../src/accounts/parse.js';
import { marginAccounts } from '../src/accounts/margin.js';
import { createAccount } from '../src/accounts/state.js';
import { evaluate, ownMargin } from '../src/accounts/evaluation.js';
import { ScenarioEngine } from '../src/accounts/engine.js';
import type { AccountMargin, AccountMarginOk, AccountsFileInput } from '../src/accounts/types.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { createEsModel } from '../src/models/tail.js';
import { isInputError } from '../src/errors.js';
import { packageFile } from '../src/paths.js';
import { Rng } from './helpers/random.js';

function ok(r: AccountMargin): AccountMarginOk {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.message}`);
  return r;
}

/**
 * A market whose grid moves are exact binary fractions (+-12.5 %, +-25 %), so every number below is
 * exact in floating point and the thresholds can be tested with equality.
 */
function handMarket(extra: Record<string, unknown> = {}): MarketInput {
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: {
      BTC: { spot: 80000, rate: 0.04, vol: 0.6, group: 'CRYPTO' },
      ETH: { spot: 4000, rate: 0.04, vol: 0.75, group: 'CRYPTO' },
      SPX: { spot: 6000, rate: 0.04, vol: 0.18 },
    },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'SPX-FUT': { kind: 'future', underlying: 'SPX', expiry: '2026-12-18T00:00:00Z', price: 6000, contractSize: 2 },
      'BTC-INV': { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 90000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      ...extra,
    },
    risk: {
      grid: {
        points: [{ move: -0.25 }, { move: -0.125 }, { move: 0 }, { move: 0.125 }, { move: 0.25 }],
        volMoves: [0], groups: { CRYPTO: { offset: 0.5 } }, maintenanceRatio: 0.75,
      },
    },
  } as unknown as MarketInput;
}

const handAm = (): AccountMarket => resolveAccountMarket(handMarket(), 'hand.json');

function margin(am: AccountMarket, file: AccountsFileInput, method: 'grid' | 'es' = 'grid'): AccountMargin[] {
  return marginAccounts(am, resolveAccounts(file, 'accounts.json', am.market), { method });
}

const ASSETS = { BTC: { haircut: 0.125 }, ETH: { haircut: 0.25 }, USDC: { price: 1, haircut: 0.0625 }, USD: { haircut: 0.03125 } };

describe('accounts: collateral, equity and statuses worked by hand', () => {
  const am = handAm();

  it('shocks BTC collateral in the BTC-down point and haircuts it in equity', () => {
    // 2 BTC at 80,000: value 160,000, after a 12.5 % haircut 140,000; plus 10,000 USD.
    // Its P&L row is 160,000 x move: the -25 % point loses 40,000 (grid: L = [40000, 20000, 0, -20000, -40000],
    // one underlying in CRYPTO, N = L for losses) -> R = 40,000.
    const [r] = margin(am, { assets: ASSETS, accounts: [{ account: 'A', mode: 'portfolio', collateral: { BTC: 2, USD: 10000 } }] }).map(ok);
    expect(r.collateralValue).toBe(170000);
    expect(r.collateralAfterHaircut).toBe(150000);
    expect(r.equity).toBe(150000);
    expect(r.modes.portfolio.initialMargin).toBe(40000);
    expect(r.modes.portfolio.maintenanceMargin).toBe(30000);
    expect(r.modes.cross.initialMargin).toBe(40000);
    expect(r.initialMargin).toBe(40000);
    expect(r.excess).toBe(110000);
    expect(r.status).toBe('healthy');
  });

  it('values a USDC balance at its fixed price less its haircut, and charges nothing for it', () => {
    const [r] = margin(am, { assets: ASSETS, accounts: [{ account: 'A', collateral: { USDC: 32000, ETH: 8 } }] }).map(ok);
    // USDC 32,000 x (1 - 0.0625) = 30,000; ETH 8 x 4,000 = 32,000 x 0.75 = 24,000.
    expect(r.collateralAfterHaircut).toBe(54000);
    // Only ETH is at risk: 32,000 x 25 % = 8,000.
    expect(r.modes.cross.initialMargin).toBe(8000);
    expect(r.modes.portfolio.initialMargin).toBe(8000);
  });

  it('nets BTC collateral against a short perpetual in portfolio mode only', () => {
    const [r] = margin(am, {
      assets: ASSETS, accounts: [{ account: 'H', mode: 'portfolio', collateral: { BTC: 2 }, positions: [{ instrument: 'BTC-PERP', quantity: -2 }] }],
    }).map(ok);
    expect(r.modes.portfolio.initialMargin).toBe(0);
    // Cross and isolated: each item alone, 40,000 for the coins and 40,000 for the short.
    expect(r.modes.cross.initialMargin).toBe(80000);
    expect(r.modes.isolated.initialMargin).toBe(80000);
    expect(r.equity).toBe(140000);
  });

  it('puts an account in margin call below initial and in liquidation below maintenance (equality is the better status)', () => {
    // Long 1 BTC-PERP: IM = 80,000 x 25 % = 20,000, MM = 15,000.
    const at = (usd: number) => ok(margin(am, {
      accounts: [{ account: 'T', mode: 'portfolio', collateral: { USD: usd }, positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }],
    })[0]);
    expect(at(20000).initialMargin).toBe(20000);
    expect(at(20000).status).toBe('healthy');
    expect(at(19999.99).status).toBe('margin_call');
    expect(at(15000).status).toBe('margin_call');
    expect(at(14999.99).status).toBe('liquidation');
    expect(at(15000).excess).toBe(-5000);
  });

  it('counts unrealised P&L of futures from their entry price and option value at market', () => {
    const [r] = margin(am, {
      accounts: [{ account: 'U', collateral: { USD: 1000 }, positions: [
        { instrument: 'BTC-PERP', quantity: 0.5, price: 72000 }, { instrument: 'SPX-FUT', quantity: -3, price: 6100 }] }],
    }).map(ok);
    // 0.5 x (80,000 - 72,000) = 4,000; -3 x 2 x (6,000 - 6,100) = 600.
    expect(r.unrealisedPnl).toBe(4600);
    expect(r.equity).toBe(5600);
  });

  it('isolated mode can liquidate one position while the pooled (cross) account is healthy', () => {
    // A: long 1 BTC-PERP entered at 100,000 (UPL -20,000), IM 20,000, MM 15,000. B: long 10 ETH-PERP, IM 10,000.
    // Pool 60,000 USD: equity 40,000 >= 30,000 (cross healthy); A's share 60,000 x 20/30 = 40,000, minus
    // 20,000 = 20,000 >= 20,000 (healthy at equality). Pool 54,000: equity 34,000, cross healthy; A has
    // 36,000 - 20,000 = 16,000: margin call.
    const run = (usd: number) => ok(margin(am, {
      accounts: [{ account: 'I', mode: 'isolated', collateral: { USD: usd }, positions: [
        { instrument: 'BTC-PERP', quantity: 1, price: 100000 }, { instrument: 'ETH-PERP', quantity: 10 }] }],
    })[0]);
    const a = run(60000);
    expect(a.modes.cross.status).toBe('healthy');
    expect(a.modes.isolated.status).toBe('healthy');
    const b = run(54000);
    expect(b.modes.cross.status).toBe('healthy');
    expect(b.modes.isolated.status).toBe('margin_call');
    expect(b.status).toBe('margin_call');
    const items = new Map(b.standalone!.map((s) => [s.item, s]));
    expect(items.get('BTC-PERP')!.isolatedEquity).toBe(16000);
    expect(items.get('BTC-PERP')!.isolatedStatus).toBe('margin_call');
    expect(items.get('ETH-PERP')!.isolatedEquity).toBe(18000);
    expect(items.get('ETH-PERP')!.isolatedStatus).toBe('healthy');
    // The isolated excess is what the pool lacks for the worst position: 6,000 more makes A's share
    // 40,000 (healthy at equality), as with a pool of 60,000.
    expect(b.modes.isolated.excess).toBe(-6000);
    expect(b.excess).toBe(-6000);
    expect(b.modes.cross.excess).toBe(4000);
    expect(a.modes.isolated.excess).toBe(0);
    const c = run(45000);
    // Equity 25,000: cross margin call; A: 30,000 - 20,000 = 10,000 < 15,000: liquidation.
    expect(c.modes.cross.status).toBe('margin_call');
    expect(c.modes.isolated.status).toBe('liquidation');
  });
});

describe('accounts: coin-margined (inverse) numeraire, worked by hand', () => {
  const am = handAm();

  it('an inverse perpetual of N USD has coin P&L N (1/F - 1/F\') in a BTC-margined account', () => {
    // 1,000 contracts of 10 USD: N = 10,000 at F = 80,000. At -25 %: 10,000 (1/80,000 - 1/60,000) = -1/24 BTC;
    // at +25 %: 10,000 (1/80,000 - 1/100,000) = +1/40 BTC. BTC collateral is riskless in BTC.
    const [r] = margin(am, {
      assets: ASSETS, accounts: [{ account: 'C', mode: 'portfolio', numeraire: 'BTC', collateral: { BTC: 1 }, positions: [{ instrument: 'BTC-INV', quantity: 1000 }] }],
    }).map(ok);
    expect(r.numeraire).toBe('BTC');
    expect(r.modes.portfolio.initialMargin).toBeCloseTo(1 / 24, 15);
    expect(r.modes.cross.initialMargin).toBeCloseTo(1 / 24, 15);
    // 1 BTC in a BTC account counts in full: the numeraire has no haircut.
    expect(r.equity).toBe(1);
  });

  it('a BTC-collateralised short inverse perpetual is flat in USD and short in BTC', () => {
    const acct = { account: 'F', mode: 'portfolio' as const, collateral: { BTC: 0.125 }, positions: [{ instrument: 'BTC-INV', quantity: -1000 }] };
    const [usd, coin] = margin(am, { assets: { BTC: { haircut: 0 } }, accounts: [acct, { ...acct, account: 'G', numeraire: 'BTC' }] }).map(ok);
    expect(Math.abs(usd.modes.portfolio.initialMargin)).toBeLessThan(1e-9);
    // In BTC the account is 10,000 USD: worth 10,000 / (80,000 m) - 1/8 BTC; its loss at +25 % is 1/8 - 1/10 = 1/40 BTC.
    expect(coin.modes.portfolio.initialMargin).toBeCloseTo(1 / 40, 15);
    expect(coin.equity).toBeCloseTo(0.125, 15);
  });

  it('counts an inverse position entered at another price by its coin P&L N (1/e - 1/F)', () => {
    // Entered at 64,000: 10,000 (1/64,000 - 1/80,000) = 1/32 BTC, worth 2,500 USD.
    const acct = { account: 'E', collateral: { USD: 0 }, positions: [{ instrument: 'BTC-INV', quantity: 1000, price: 64000 }] };
    const [usd, coin] = margin(am, { assets: ASSETS, accounts: [acct, { ...acct, account: 'E2', numeraire: 'BTC' }] }).map(ok);
    expect(usd.unrealisedPnl).toBeCloseTo(2500, 9);
    expect(coin.unrealisedPnl).toBeCloseTo(1 / 32, 15);
    // Forward: a linear future of N/e = 0.15625 coins: the -25 % point loses 0.15625 x 20,000 = 3,125 USD.
    expect(usd.modes.portfolio.initialMargin).toBeCloseTo(3125, 9);
  });
});

describe('accounts: a haircut is for an asset held in another numeraire; the numeraire itself has none', () => {
  const am = handAm();
  // BTC at 80,000. Haircuts: BTC 12.5 %, USD 6.25 % (the currency's haircut, for accounts measured in another numeraire).
  const assets = { BTC: { haircut: 0.125 }, USD: { haircut: 0.0625 } };

  it('a USD account holding USD and BTC: BTC is haircut, USD is not', () => {
    const [r] = margin(am, { assets, accounts: [{ account: 'U', collateral: { USD: 10000, BTC: 1 } }] }).map(ok);
    // 10,000 + 80,000 = 90,000 before haircuts; 10,000 + 0.875 x 80,000 = 80,000 after.
    expect(r.collateralValue).toBe(90000);
    expect(r.collateralAfterHaircut).toBe(80000);
    expect(r.equity).toBe(80000);
  });

  it('a BTC account holding BTC and USD: USD is haircut, BTC is not', () => {
    const [r] = margin(am, { assets, accounts: [{ account: 'B', numeraire: 'BTC', collateral: { BTC: 1, USD: 16000 } }] }).map(ok);
    // 1 + 16,000 / 80,000 = 1.2 BTC before haircuts; 1 + 0.9375 x 16,000 / 80,000 = 1 + 0.1875 = 1.1875 after.
    expect(r.collateralValue).toBeCloseTo(1.2, 15);
    expect(r.collateralAfterHaircut).toBeCloseTo(1.1875, 15);
    expect(r.equity).toBeCloseTo(1.1875, 15);
    // USD moves against BTC: 16,000 USD is worth 0.2 / m BTC, losing 0.2 (1 - 1/1.25) = 0.04 BTC at +25 %.
    expect(r.modes.portfolio.initialMargin).toBeCloseTo(0.04, 15);
    expect(r.modes.cross.initialMargin).toBeCloseTo(0.04, 15);
  });

  it('a coin account needs no haircut for its own coin, and one for the currency it holds', () => {
    const rows = margin(am, {
      accounts: [
        { account: 'own', numeraire: 'BTC', collateral: { BTC: 2 } },
        { account: 'usd', numeraire: 'BTC', collateral: { BTC: 2, USD: 1000 } },
      ],
    });
    const own = ok(rows[0]);
    expect(own.equity).toBe(2);
    expect(own.collateralAfterHaircut).toBe(2);
    expect(rows[1]).toEqual({
      ok: false, account: 'usd', method: 'grid', code: 'E_INPUT',
      message: 'accounts.json: accounts[1].collateral.USD: asset "USD" has no haircut: give assets.USD.haircut, a haircut in [0, 1) '
        + '(the currency\'s haircut, required in an account measured in another numeraire, here BTC)',
    });
  });
});

describe('accounts: a dated inverse future follows the contract arithmetic at its own price F', () => {
  // BTC spot S = 80,000; an inverse future of N = 10 USD a contract at F = 100,000 (a 25 % basis, so a
  // conversion at the spot instead of F is plain to see). Long 1,000 contracts entered at e = 80,000:
  // qN = 10,000 USD, Q = qN / e = 0.125 coins. Grid moves m = 0.75 ... 1.25 move F with S (F' = F m).
  const am = resolveAccountMarket(handMarket({
    'BTC-INVF': { kind: 'future', underlying: 'BTC', expiry: '2027-03-26T00:00:00Z', price: 100000, contractSize: 10, settlement: 'inverse' },
  }), 'hand.json');
  const position = { instrument: 'BTC-INVF', quantity: 1000, price: 80000 };

  it('in a BTC account: value qN (1/e - 1/F), scenario P&L qN (1/F - 1/(F m))', () => {
    const [r] = margin(am, { assets: ASSETS, accounts: [{ account: 'B', mode: 'portfolio', numeraire: 'BTC', cash: 0.5, positions: [position] }] }).map(ok);
    // 10,000 (1/80,000 - 1/100,000) = 0.125 - 0.1 = 0.025 BTC.
    expect(r.unrealisedPnl).toBeCloseTo(0.025, 15);
    expect(r.equity).toBeCloseTo(0.525, 15);
    // m = 0.75: 10,000 (1/100,000 - 1/75,000) = 0.1 - 0.1333... = -1/30 BTC (the worst point);
    // m = 1.25: 0.1 - 0.08 = +0.02. At spot it would be 10,000 (1/80,000 - 1/60,000) = -1/24.
    expect(r.modes.portfolio.initialMargin).toBeCloseTo(1 / 30, 15);
    expect(r.modes.cross.initialMargin).toBeCloseTo(1 / 30, 15);
    expect(r.maintenanceMargin).toBeCloseTo(0.75 / 30, 15);
  });

  it('in a USD account: the coin value at the coin\'s spot, S (Q - qN/F); scenario P&L Q S (m - 1)', () => {
    const [r] = margin(am, { accounts: [{ account: 'U', mode: 'portfolio', positions: [position] }] }).map(ok);
    // 0.025 BTC x 80,000 = 2,000 USD (not Q F - qN = 12,500 - 10,000 = 2,500).
    expect(r.unrealisedPnl).toBeCloseTo(2000, 10);
    expect(r.equity).toBeCloseTo(2000, 10);
    // In m: (Q - qN/(F m)) x S m = 0.125 x 80,000 m - 10,000 x 0.8 = 10,000 m - 8,000; at m = 0.75: -500,
    // a loss of 2,500 from 2,000 (not Q F x 25 % = 3,125).
    expect(r.modes.portfolio.initialMargin).toBeCloseTo(2500, 10);
    expect(r.modes.cross.initialMargin).toBeCloseTo(2500, 10);
  });
});

describe('accounts: the numeraire asset carries no risk in its own numeraire', () => {
  // The bundled market (BTC at 97,000, grid moves +-4 % steps to +-16 % at cover 1, -33 % and +50 % at
  // cover 0.3, maintenance ratio 0.8) with an inverse BTC perpetual of 10 USD.
  const json = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
  (json.instruments as Record<string, unknown>)['BTC-INV'] = { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' };
  const am = resolveAccountMarket(json, 'market.json');

  it('1 BTC held by a BTC account has no standalone item: isolated mode is healthy, as with the same pool in cash', () => {
    // Short 20,000 contracts of 10 USD entered at 150,000: qN = -200,000 USD, Q = -200,000 / 150,000 = -4/3 coins.
    // Coin value at F = 97,000: Q - qN / F = -4/3 + 200,000 / 97,000 (about 0.7285 BTC).
    // Coin P&L in a move m: qN (1/F - 1/(F m)) = -(200,000 / 97,000)(1 - 1/m): worst at +16 % (cover 1),
    // (200,000 / 97,000)(0.16 / 1.16) = 0.2844 BTC, more than 0.3 x (200,000 / 97,000)(0.5 / 1.5) = 0.2062 at +50 %.
    // Collateral 1 BTC (a 10 % haircut, which does not apply in a BTC account: it counts 1 BTC) carries
    // no risk in BTC; cash -1.2 BTC. Equity -0.2 + 0.7285 = 0.5285 BTC >= IM 0.2844: healthy, excess 0.2441.
    const k = 200000 / 97000;
    const im = k * (0.16 / 1.16);
    const equity = 1 - 1.2 + (k - 4 / 3);
    const position = { instrument: 'BTC-INV', quantity: -20000, price: 150000 };
    const rows = margin(am, {
      assets: { BTC: { haircut: 0.1 } },
      accounts: [
        { account: 'coin', mode: 'isolated', numeraire: 'BTC', collateral: { BTC: 1 }, cash: -1.2, positions: [position] },
        { account: 'cash', mode: 'isolated', numeraire: 'BTC', cash: -0.2, positions: [position] },
      ],
    }).map(ok);
    for (const r of rows) {
      expect(r.equity, r.account).toBeCloseTo(equity, 14);
      expect(r.initialMargin, r.account).toBeCloseTo(im, 14);
      expect(r.maintenanceMargin, r.account).toBeCloseTo(0.8 * im, 14);
      expect(r.status, r.account).toBe('healthy');
      expect(r.excess, r.account).toBeCloseTo(equity - im, 14);
      expect(r.excess, r.account).toBeCloseTo(0.2441285, 7);
      // One item, the position: its share of the pool (-0.2) plus its value covers its requirement.
      expect(r.standalone!.map((s) => s.item), r.account).toEqual(['BTC-INV']);
      for (const m of ['isolated', 'cross', 'portfolio'] as const) {
        expect(r.modes[m].initialMargin, `${r.account} ${m}`).toBeCloseTo(im, 14);
        expect(r.modes[m].status, `${r.account} ${m}`).toBe('healthy');
      }
    }
  });

  it('a coin account holding only its coin owes exactly 0 in every mode and method', () => {
    for (const method of ['grid', 'es'] as const) {
      const m = method === 'es' ? resolveAccountMarket({ ...json, risk: { es: { confidence: 0.99, horizonDays: 1, scenarios: 400, seed: 1 } } }, 'es.json') : am;
      const [r] = margin(m, { assets: { BTC: { haircut: 0.1 } }, accounts: [{ account: 'H', mode: 'isolated', numeraire: 'BTC', collateral: { BTC: 1.7 } }] }, method).map(ok);
      expect(r.modes.portfolio.initialMargin, method).toBe(0);
      expect(r.modes.cross.initialMargin, method).toBe(0);
      expect(r.modes.isolated.initialMargin, method).toBe(0);
      expect(r.standalone, method).toEqual([]);
    }
  });
});

describe('accounts: agreement with the from-definition grid reference and the ES model', () => {
  // Accounts holding only USD: no collateral risk, so the portfolio requirement is the portfolio's
  // grid margin (src/reference/grid-margin.ts, written from docs/methods.md §6) and cross is the
  // sum of each position's margin alone.
  const market: MarketInput = handMarket({
    'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 70000, expiry: '2026-12-26T00:00:00Z', vol: 0.6 },
    'ETH-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 4400, expiry: '2027-01-29T00:00:00Z', vol: 0.7 },
    'SPX-P': { kind: 'option', underlying: 'SPX', right: 'put', strike: 5800, expiry: '2026-12-18T00:00:00Z', vol: 0.2, contractSize: 100 },
  });
  const grid = market.risk!.grid!;
  market.risk = {
    grid: { ...grid, volMoves: [-0.2, 0, 0.3], volTerm: { refDays: 30, power: 0.3 }, shortOptionMinimum: 50, longOptionMinimum: 10 },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 3000, seed: 3, distribution: 'student-t', degreesOfFreedom: 4, correlations: [['BTC', 'ETH', 0.8]] },
  };
  const linear = Object.keys(market.instruments).filter((id) => !(market.instruments[id] as { settlement?: string }).settlement);
  const v1 = resolveMarket({ ...market, instruments: Object.fromEntries(linear.map((id) => [id, market.instruments[id]])) }, 'v1.json');
  const am = linearMarket(v1);
  const rng = new Rng(5);
  const accounts = Array.from({ length: 60 }, (_, k) => ({
    account: `R${k}`, mode: 'portfolio' as const, collateral: { USD: 1000 },
    positions: linear.filter(() => rng.next() < 0.4).map((instrument) => ({ instrument, quantity: Math.round(rng.uniform(-5, 5) * 10) / 10 || 1 })),
  }));

  it('portfolio = the reference grid margin, cross = the sum of each position alone (60 random accounts, 1e-9 relative)', () => {
    const rows = margin(am, { accounts }).map(ok);
    let worst = 0;
    rows.forEach((r, k) => {
      const pos = accounts[k].positions;
      const ref = referenceGridMargin(v1, v1.risk.grid!, pos).initialMargin;
      const alone = pos.reduce((s, p) => s + referenceGridMargin(v1, v1.risk.grid!, [p]).initialMargin, 0);
      const d1 = Math.abs(r.modes.portfolio.initialMargin - ref) / Math.max(ref, 1);
      const d2 = Math.abs(r.modes.cross.initialMargin - alone) / Math.max(alone, 1);
      worst = Math.max(worst, d1, d2);
      expect(d1, `${r.account} ${JSON.stringify(pos)}: portfolio ${r.modes.portfolio.initialMargin} vs reference ${ref}`).toBeLessThan(1e-9);
      expect(d2, `${r.account} ${JSON.stringify(pos)}: cross ${r.modes.cross.initialMargin} vs sum alone ${alone}`).toBeLessThan(1e-9);
      expect(r.modes.portfolio.initialMargin).toBeLessThanOrEqual(r.modes.cross.initialMargin * (1 + 1e-12));
      expect(r.modes.isolated.initialMargin).toBe(r.modes.cross.initialMargin);
    });
    console.log(`grid reference: worst relative difference ${worst.toExponential(2)} over ${rows.length} accounts`);
  });

  it('ES portfolio = the ES model of the same positions; cross >= portfolio (coherence on shared scenarios)', () => {
    const rows = margin(am, { accounts }, 'es').map(ok);
    const model = createEsModel(v1);
    rows.forEach((r, k) => {
      const m = model.margin({ id: r.account, positions: accounts[k].positions });
      if (!m.ok) throw new Error(m.message);
      const d = Math.abs(r.modes.portfolio.initialMargin - m.initialMargin) / Math.max(m.initialMargin, 1);
      expect(d, `${r.account}: ${r.modes.portfolio.initialMargin} vs ES model ${m.initialMargin}`).toBeLessThan(1e-9);
      expect(r.modes.portfolio.initialMargin).toBeLessThanOrEqual(r.modes.cross.initialMargin * (1 + 1e-9));
    });
  });

  it('the market loader and the account layer both accept inverse settlement (one rule), and mark the same instrument', () => {
    const m = resolveMarket(handMarket(), 'hand.json');
    expect(Array.from(m.instruments.inverse!)).toEqual(Array.from(handAm().inverse));
    expect(handAm().inverse.reduce((s, x) => s + x, 0)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The account file: one test per message, and the schema's verdict on each case.

const accountsSchema = JSON.parse(readFileSync(packageFile('schema', 'accounts.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strictSchema: true, strictTypes: true, allErrors: true });
const schemaValid = ajv.compile(accountsSchema);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Edit = (f: any) => unknown;
interface FileCase { name: string; edit: Edit; message: string; schema: boolean; whole?: boolean }
const A = 'accounts.json: ';
const P0 = `${A}accounts[0].`;
function baseFile(): AccountsFileInput {
  return {
    assets: { BTC: { haircut: 0.1 }, USDC: { price: 1, haircut: 0.02 } },
    accounts: [{ account: 'A', mode: 'portfolio', collateral: { USD: 1000, BTC: 1 }, positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }],
  };
}
const fileCases: FileCase[] = [
  { name: 'not an object', whole: true, schema: true, edit: () => [1],
    message: `${A}expected a JSON object { "assets": {...}, "accounts": [...] }, got [1]` },
  { name: 'unknown top-level field', whole: true, schema: true, edit: (f) => { f.acounts = f.accounts; delete f.accounts; },
    message: `${A}acounts: unknown field; did you mean "accounts"? (expected one of: $schema, description, assets, accounts)` },
  { name: 'accounts missing', whole: true, schema: true, edit: (f) => { delete f.accounts; },
    message: `${A}accounts: expected a list of accounts, got nothing` },
  { name: 'haircut of 1', whole: true, schema: true, edit: (f) => { f.assets.BTC.haircut = 1; },
    message: `${A}assets.BTC.haircut: expected a haircut in [0, 1), got 1` },
  { name: 'negative haircut', whole: true, schema: true, edit: (f) => { f.assets.USDC.haircut = -0.01; },
    message: `${A}assets.USDC.haircut: expected a haircut in [0, 1), got -0.01` },
  { name: 'underlying without a haircut', whole: true, schema: false, edit: (f) => { f.assets.BTC = {}; },
    message: `${A}assets.BTC.haircut: required for BTC: expected a haircut in [0, 1), got nothing` },
  { name: 'price on an underlying', whole: true, schema: false, edit: (f) => { f.assets.BTC.price = 80000; },
    message: `${A}assets.BTC.price: BTC is an underlying of the market, priced at its spot (and shocked with it): remove price` },
  { name: 'price on the currency', whole: true, schema: false, edit: (f) => { f.assets.USD = { price: 1 }; },
    message: `${A}assets.USD.price: USD is the market's currency, priced at 1 by definition: remove price` },
  { name: 'asset without a price', whole: true, schema: false, edit: (f) => { f.assets.USDT = { haircut: 0.03 }; },
    message: `${A}assets.USDT.price: required for "USDT", which is neither the market's currency (USD) nor one of its underlyings (BTC, ETH, SPX): expected its price in USD, a number > 0, got nothing` },
  { name: 'zero price', whole: true, schema: true, edit: (f) => { f.assets.USDC.price = 0; },
    message: `${A}assets.USDC.price: expected a number > 0, got 0` },
  { name: 'fixed asset without a haircut', whole: true, schema: false, edit: (f) => { f.assets.USDC = { price: 1 }; },
    message: `${A}assets.USDC.haircut: required for "USDC": expected a haircut in [0, 1), got nothing` },
  { name: 'unknown asset field', whole: true, schema: true, edit: (f) => { f.assets.USDC.haircutt = 0.1; },
    message: `${A}assets.USDC.haircutt: unknown field for an asset; did you mean "haircut"? (expected one of: haircut, price)` },
  { name: 'collateral in an asset with no price', schema: false, edit: (f) => { f.accounts[0].collateral.USDT = 10; },
    message: `${P0}collateral.USDT: asset "USDT" has no price: it is neither the market's currency (USD) nor one of its underlyings (BTC, ETH, SPX), and the assets block does not give its price` },
  { name: 'collateral in an underlying with no haircut', schema: false, edit: (f) => { f.accounts[0].collateral.ETH = 10; },
    message: `${P0}collateral.ETH: asset "ETH" has no haircut: give assets.ETH.haircut, a haircut in [0, 1)` },
  { name: 'negative balance', schema: true, edit: (f) => { f.accounts[0].collateral.BTC = -1; },
    message: `${P0}collateral.BTC: expected a balance >= 0, got -1` },
  { name: 'balance not a number', schema: true, edit: (f) => { f.accounts[0].collateral.BTC = '1'; },
    message: `${P0}collateral.BTC: expected a balance >= 0, got "1"` },
  { name: 'unknown instrument', schema: false, edit: (f) => { f.accounts[0].positions[0].instrument = 'BTC-XYZ'; },
    message: `${P0}positions[0].instrument: unknown instrument "BTC-XYZ"` },
  { name: 'instrument twice', schema: false, edit: (f) => { f.accounts[0].positions.push({ instrument: 'BTC-PERP', quantity: 2 }); },
    message: `${P0}positions[1].instrument: "BTC-PERP" is already at accounts[0].positions[0]; give one net position per instrument` },
  { name: 'entry price on an option', schema: false, edit: (f) => { f.accounts[0].positions[0] = { instrument: 'BTC-C', quantity: 1, price: 100 }; },
    message: `${P0}positions[0].price: an entry price applies to futures and perpetuals; "BTC-C" is an option, whose premium is already in the balances: remove price` },
  { name: 'quantity not finite', schema: true, edit: (f) => { f.accounts[0].positions[0].quantity = null; },
    message: `${P0}positions[0].quantity: expected a finite number, got null` },
  { name: 'unknown mode', schema: true, edit: (f) => { f.accounts[0].mode = 'netted'; },
    message: `${P0}mode: expected "isolated", "cross" or "portfolio", got "netted"` },
  { name: 'numeraire with no price', schema: false, edit: (f) => { f.accounts[0].numeraire = 'EUR'; },
    message: `${P0}numeraire: asset "EUR" has no price: it is neither the market's currency (USD) nor one of its underlyings (BTC, ETH, SPX), and the assets block does not give its price` },
  { name: 'account id missing', schema: true, edit: (f) => { delete f.accounts[0].account; },
    message: `${P0}account: expected a non-empty string, got nothing` },
  { name: 'unknown account field', schema: true, edit: (f) => { f.accounts[0].colateral = {}; },
    message: `${P0}colateral: unknown field for an account; did you mean "collateral"? (expected one of: account, mode, numeraire, collateral, cash, positions)` },
  { name: 'cash not a number', schema: true, edit: (f) => { f.accounts[0].cash = 'x'; },
    message: `${P0}cash: expected a finite number, got "x"` },
];

describe('account file: one test per error message, and the JSON Schema agrees', () => {
  const am = handAm();
  it('the base file and the example are valid for the engine and the schema', () => {
    expect(schemaValid(baseFile()), JSON.stringify(schemaValid.errors)).toBe(true);
    const example = JSON.parse(readFileSync(packageFile('examples', 'accounts.json'), 'utf8'));
    expect(schemaValid(example), JSON.stringify(schemaValid.errors)).toBe(true);
    const exMarket = resolveAccountMarket(JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')), 'examples/market.json');
    const rows = marginAccounts(exMarket, parseAccounts(JSON.stringify(example), 'examples/accounts.json', exMarket.market));
    expect(rows.every((r) => r.ok), JSON.stringify(rows.filter((r) => !r.ok))).toBe(true);
    expect(rows.length).toBe(example.accounts.length);
  });

  for (const c of fileCases) {
    it(`${c.name}${c.schema ? '' : ' (engine only)'}`, () => {
      const f = baseFile();
      const edited = c.edit(f) ?? f;
      if (c.whole) {
        let err: unknown;
        try { resolveAccounts(edited, 'accounts.json', am.market); } catch (e) { err = e; }
        expect(isInputError(err), `expected an InputError for ${c.name}`).toBe(true);
        expect((err as Error).message).toBe(c.message);
      } else {
        const file = resolveAccounts(edited, 'accounts.json', am.market);
        expect(file.accounts[0]).toEqual({ id: (edited as AccountsFileInput).accounts[0].account ?? 'accounts[0]', error: c.message });
      }
      expect(schemaValid(edited), `schema on ${c.name}: ${JSON.stringify(schemaValid.errors)}`).toBe(!c.schema);
    });
  }

  it('a duplicate account id is an error for the second account only; the others are margined', () => {
    const f = baseFile();
    f.accounts.push({ ...f.accounts[0] }, { account: 'B', collateral: { USD: 5 } });
    const file = resolveAccounts(f, 'accounts.json', am.market);
    expect(file.accounts[1]).toEqual({ id: 'A', error: `${A}accounts[1].account: duplicate account id "A" (first at accounts[0])` });
    const rows = marginAccounts(am, file);
    expect(rows.map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('NDJSON: an optional first assets line, one account a line, errors by line', () => {
    const text = [
      JSON.stringify({ assets: { BTC: { haircut: 0.1 } } }),
      JSON.stringify({ account: 'A', collateral: { BTC: 1 } }),
      '',
      JSON.stringify({ account: 'B', collateral: { BTC: -1 } }),
      '{"account": "C", "collateral": ',
    ].join('\n');
    const file = parseAccounts(text, 'accounts.ndjson', am.market);
    expect(file.accounts.map((a) => a.id)).toEqual(['A', 'B', 'line 5']);
    expect(file.accounts[1]).toEqual({ id: 'B', error: 'accounts.ndjson: line 4: collateral.BTC: expected a balance >= 0, got -1' });
    expect((file.accounts[2] as { error: string }).error).toMatch(/^accounts\.ndjson: line 5: invalid JSON at line 1, column 32: /);
    expect(() => parseAccounts(`${JSON.stringify({ account: 'A' })}\n${JSON.stringify({ assets: {} })}`, 'a.ndjson', am.market))
      .toThrow('a.ndjson: line 2: assets: the assets line must be the first line of the file');
  });
});

describe('accounts: the book\'s fast path', () => {
  it('ownMargin gives exactly the own-mode numbers of the full evaluation (every mode, numeraire and method)', () => {
    const am = handAm();
    const rng = new Rng(9);
    const ids = ['BTC-PERP', 'ETH-PERP', 'SPX-FUT', 'BTC-INV', 'BTC-C'];
    for (const method of ['grid', 'es'] as const) {
      const market = method === 'es' ? resolveAccountMarket({ ...handMarket(), risk: { es: { confidence: 0.99, horizonDays: 1, scenarios: 500, seed: 2, correlations: [['BTC', 'ETH', 0.7]] } } }, 'es.json') : am;
      const file = resolveAccounts({
        assets: ASSETS,
        accounts: Array.from({ length: 40 }, (_, k) => ({
          account: `X${k}`, mode: (['isolated', 'cross', 'portfolio'] as const)[k % 3], numeraire: ['USD', 'BTC', 'USDC', 'ETH'][k % 4],
          collateral: { USD: rng.uniform(0, 50000), BTC: rng.uniform(0, 1), USDC: rng.uniform(0, 20000) },
          positions: ids.filter(() => rng.next() < 0.6).map((instrument) => ({ instrument, quantity: rng.uniform(-3, 3) * (instrument === 'BTC-INV' ? 1000 : 1) })),
        })),
      }, 'accounts.json', market.market);
      const eng = new ScenarioEngine(market, file.assets.values(), { method });
      for (const entry of file.accounts) {
        if ('error' in entry) throw new Error(entry.error);
        const a = createAccount(eng, entry);
        const full = evaluate(eng, a, true);
        const own = ownMargin(eng, a, { equity: 0, initialMargin: 0, maintenanceMargin: 0, excess: 0, status: 'healthy' });
        expect(own, `${method} ${entry.id}`).toEqual({
          equity: full.equity, initialMargin: full.initialMargin, maintenanceMargin: full.maintenanceMargin, excess: full.excess, status: full.status,
        });
      }
    }
  });
});

describe('accounts: the book works on a copy of the market', () => {
  it('copies every array of the market, vol of vol, surfaces and surface-derived vols included, sharing none', () => {
    const m = resolveMarket({
      asOf: '2026-11-20T00:00:00Z', currency: 'USD',
      underlyings: {
        BTC: {
          spot: 80000, rate: 0.04, vol: 0.6, volOfVol: 1.2,
          surface: { axis: 'moneyness', expiries: ['2026-12-26T00:00:00Z', '2027-03-26T00:00:00Z'], points: [0.8, 1, 1.25], vols: [[0.7, 0.6, 0.65], [0.66, 0.58, 0.62]] },
        },
      },
      instruments: {
        'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 90000, expiry: '2027-01-29T00:00:00Z' },
        'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 70000, expiry: '2027-01-29T00:00:00Z', vol: 0.7 },
      },
    } as never, 'm.json');
    const c = cloneMarket(m);
    expect(c).toEqual(m);
    for (const table of ['underlyings', 'instruments', 'groups'] as const) {
      for (const [k, v] of Object.entries(m[table])) {
        const w = (c[table] as Record<string, unknown>)[k];
        expect(w, `${table}.${k}`).toEqual(v);
        if (typeof v === 'object' && v !== null) expect(w, `${table}.${k} is a copy`).not.toBe(v);
      }
    }
    expect(m.underlyings.volOfVol).toBeDefined();
    expect(m.underlyings.surface).toBeDefined();
    expect(m.instruments.volFromSurface).toBeDefined();
    c.underlyings.spot[0] = 1;
    c.instruments.vol[0] = 0.1;
    expect(m.underlyings.spot[0]).toBe(80000);
    expect(m.instruments.vol[0]).not.toBe(0.1);
  });
});
