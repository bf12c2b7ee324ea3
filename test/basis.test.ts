// Basis and calendar risk in the grid (docs/methods.md §6.10): with a `basis` block every (point,
// vol move) is also evaluated with each future's, perpetual's and option-on-future's forward
// shifted up and down, F' = F m e^(+-b max(tau, t0)), and the point's loss is the worst of the
// shifts. Checked against margins worked by hand (a cash-and-carry book, a calendar spread), the
// reference grid margin (src/reference/grid-margin.ts) on random books with options on futures,
// today's margins bit for bit when b = 0, threads 1 and 2, the margin book, the schema.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { validateGrid } from '../src/market/grid-spec.js';
import { createGridModel } from '../src/models/grid.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { Rng } from './helpers/random.js';
import { inputErrorMessage, ok } from './helpers/results.js';
import { expectBookMatchesFromScratch, expectThreadsMatchInProcess } from './helpers/engine.js';

const AS_OF = Date.parse('2026-11-20T00:00:00Z');
const at = (T: number) => new Date(AS_OF + Math.round(T * 365 * 86400000)).toISOString();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function market(grid: any): any {
  return {
    asOf: at(0), currency: 'USD',
    underlyings: { BTC: { spot: 90000, rate: 0.04, vol: 0.6 }, ETH: { spot: 3000, rate: 0.04, vol: 0.7 } },
    instruments: {
      BTC: { kind: 'spot', underlying: 'BTC' },
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-M1': { kind: 'future', underlying: 'BTC', expiry: at(1 / 12), price: 90300 },
      'BTC-M4': { kind: 'future', underlying: 'BTC', expiry: at(1 / 3), price: 91200 },
      'BTC-M4-80000-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 80000, expiry: at(1 / 3), vol: 0.62, future: 'BTC-M4' },
      'BTC-M4-100000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: at(0.25), vol: 0.58, future: 'BTC-M4' },
      'BTC-95000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 95000, expiry: at(0.2), vol: 0.57 },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'ETH-M4': { kind: 'future', underlying: 'ETH', expiry: at(1 / 3) },
    },
    risk: { grid },
  };
}

const POINTS = [{ move: -0.1 }, { move: 0 }, { move: 0.1 }];
const b = 0.05, t0 = 0.02;
const margin = (grid: unknown, positions: { instrument: string; quantity: number }[]) =>
  ok(createGridModel(resolveMarket(market(grid), 'm.json')).margin({ id: 'p', positions })).initialMargin;
const rel = (x: number, y: number) => Math.abs(x - y) / Math.abs(y);

describe('basis and calendar risk in the grid', () => {
  it('a cash-and-carry book (1 BTC against -1 BTC-PERP) margins S m (e^(b t0) - 1) at the largest move, by hand', () => {
    const book = [{ instrument: 'BTC', quantity: 1 }, { instrument: 'BTC-PERP', quantity: -1 }];
    expect(margin({ points: POINTS }, book)).toBe(0); // without basis: the perpetual moves with spot
    const got = margin({ points: POINTS, basis: { move: b, minYears: t0 } }, book);
    // P(m, g) = S (m - 1) - S (m e^(g b t0) - 1) = S m (1 - e^(g b t0)); the worst: g = +1, m = 1.1.
    const want = 90000 * 1.1 * (Math.exp(b * t0) - 1);
    expect(rel(got, want)).toBeLessThanOrEqual(1e-12);
    // Close to |q| cs F (1 - e^(-b t0)) sized: b t0 = 0.001 of the notional.
    expect(got / 90000).toBeGreaterThan(0.001);
    expect(got / 90000).toBeLessThan(0.0012);
  });

  it('a calendar spread margins on its legs\' tenors, by hand; per-underlying basis overrides the default', () => {
    const book = [{ instrument: 'BTC-M1', quantity: 1 }, { instrument: 'BTC-M4', quantity: -1 }];
    const tau1 = resolveMarket(market({ points: POINTS }), 'm.json').instruments.T[2];
    const tau4 = resolveMarket(market({ points: POINTS }), 'm.json').instruments.T[3];
    let want = 0;
    for (const m of [0.9, 1, 1.1]) {
      for (const g of [0, 1, -1]) {
        const P = 90300 * (m * Math.exp(g * b * Math.max(tau1, t0)) - 1) - 91200 * (m * Math.exp(g * b * Math.max(tau4, t0)) - 1);
        want = Math.max(want, -P);
      }
    }
    const got = margin({ points: POINTS, basis: { move: b, minYears: t0 } }, book);
    expect(rel(got, want)).toBeLessThanOrEqual(1e-12);
    // Roughly F b (tau4 - tau1) at the largest up move: the tenor difference is what is charged.
    expect(got).toBeGreaterThan(0.9 * 91200 * 1.1 * b * (tau4 - tau1));
    expect(got).toBeLessThan(1.2 * 91200 * 1.1 * b * (tau4 - tau1));
    // ETH's own basis of 0 and BTC's default: the same BTC margin; BTC's own 0: no basis charge.
    expect(margin({ points: POINTS, basis: { move: b, minYears: t0 }, underlyings: { ETH: { basis: { move: 0 } } } }, book)).toBe(got);
    expect(margin({ points: POINTS, basis: { move: b, minYears: t0 }, underlyings: { BTC: { basis: { move: 0 } } } }, book))
      .toBe(margin({ points: POINTS }, book));
  });

  it('with b = 0 every margin equals today\'s bit for bit (random books); with b > 0 the reference grid margin within 1e-9', () => {
    const grid = { points: [...POINTS, { move: -0.25, cover: 0.3, volMoves: [0.4] }], volMoves: [-0.2, 0, 0.3], volTerm: { refDays: 30, power: 0.3 }, horizonDays: 1 };
    const plain = createGridModel(resolveMarket(market(grid), 'm.json'));
    const zero = createGridModel(resolveMarket(market({ ...grid, basis: { move: 0, minYears: 0.1 } }), 'm.json'));
    const m5 = resolveMarket(market({ ...grid, basis: { move: b, minYears: t0 } }), 'm.json');
    const withBasis = createGridModel(m5);
    const rng = new Rng(12);
    const ids = Object.keys(market(grid).instruments);
    let charged = 0;
    for (let k = 0; k < 200; k++) {
      const positions = Array.from({ length: rng.int(1, 5) }, () => ({ instrument: rng.pick(ids), quantity: rng.int(-5, 5) || 1 }));
      const p = { id: `p${k}`, positions };
      const a = ok(plain.margin(p)), z = ok(zero.margin(p));
      expect(Object.is(z.initialMargin, a.initialMargin), JSON.stringify(positions)).toBe(true);
      expect(Object.is(z.maintenanceMargin, a.maintenanceMargin)).toBe(true);
      const got = ok(withBasis.margin(p)).initialMargin, want = referenceGridMargin(m5, m5.risk.grid!, positions).initialMargin;
      expect(Math.abs(got - want), `${JSON.stringify(positions)}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
      expect(got).toBeGreaterThanOrEqual(a.initialMargin * (1 - 1e-12));
      if (got > a.initialMargin * (1 + 1e-9)) charged++;
    }
    expect(charged).toBeGreaterThan(20);
  });

  it('the crypto preset (OKX\'s 5 % a year, at least a month) charges the cash-and-carry book 1.16 S (e^(0.05/12) - 1)', async () => {
    const { loadPreset } = await import('../src/presets.js');
    const m = resolveMarket(market({ points: POINTS }), 'm.json');
    const spec = loadPreset('crypto', m);
    expect(spec.basis).toEqual({ move: 0.05, minYears: 1 / 12 });
    const got = ok(createGridModel(m, { grid: spec }).margin({ id: 'cc', positions: [{ instrument: 'BTC', quantity: 1 }, { instrument: 'BTC-PERP', quantity: -1 }] }));
    expect(rel(got.initialMargin, 90000 * 1.16 * (Math.exp(0.05 / 12) - 1))).toBeLessThanOrEqual(1e-12);
  });

  it('the batch engine on 1 and 2 threads gives the in-process margins bit for bit', async () => {
    const m = resolveMarket(market({ points: POINTS, volMoves: [-0.2, 0, 0.3], basis: { move: b, minYears: t0 } }), 'm.json');
    const rng = new Rng(4);
    const portfolios = Array.from({ length: 80 }, (_, k) => ({
      id: `p${k}`, positions: Array.from({ length: rng.int(1, 4) }, () => ({ instrument: rng.pick(m.instruments.ids), quantity: rng.int(-4, 4) || 1 })),
    }));
    await expectThreadsMatchInProcess(m, portfolios);
  });

  it('the margin book with a basis grid equals a from-scratch run after price events', async () => {
    const { resolveAccountMarket } = await import('../src/accounts/market.js');
    const { resolveAccounts } = await import('../src/accounts/parse.js');
    const { MarginBook } = await import('../src/book/book.js');
    const am = resolveAccountMarket(market({ points: POINTS, volMoves: [0, 0.3], basis: { move: b, minYears: t0 } }), 'market.json');
    const accounts = { assets: { USD: { haircut: 0 }, BTC: { haircut: 0.1 } }, accounts: [
      { account: 'A', mode: 'portfolio', numeraire: 'USD', collateral: { USD: 5000, BTC: 1 }, positions: [
        { instrument: 'BTC-PERP', quantity: -1, price: 90000 }, { instrument: 'BTC-M4-80000-P', quantity: -2 }, { instrument: 'BTC-M1', quantity: 1, price: 90000 }] }] };
    const book = new MarginBook(am, resolveAccounts(accounts, 'a.json', am.market), { method: 'grid' });
    const first = book.marginAll()[0];
    expectBookMatchesFromScratch(book, [{ type: 'price', underlying: 'BTC', spot: 84000 }, { type: 'price', instrument: 'BTC-M4', price: 86000 }]);
    expect(first.ok && first.initialMargin).toBeGreaterThan(0);
  });

  it('stress scenarios move the basis per underlying: F\' = F (S\'/S) e^(b max(tau, basisMinYears)), by hand', async () => {
    const { createStressTest } = await import('../src/models/stress.js');
    const { validateStress } = await import('../src/market/stress-spec.js');
    const m = resolveMarket(market({ points: POINTS }), 'm.json');
    const spec = validateStress({
      basisMinYears: 0.05,
      scenarios: [{ name: 'Contango blowout', spot: { BTC: -0.1 }, basis: { BTC: 0.2 } }, { name: 'Backwardation', basis: { BTC: -0.3, ETH: 0.1 } }],
    }, 's.json', '', m);
    const test = createStressTest(m, spec);
    const idx = (id: string) => m.instruments.index.get(id)!;
    const T4 = m.instruments.T[idx('BTC-M4')];
    // Long spot, short the perpetual: the perpetual's tenor is 0, so it shifts by b t0.
    const cc = test.losses([idx('BTC'), idx('BTC-PERP')], [1, -1]);
    expect(rel(cc[0], -(90000 * (0.9 - 1) - 90000 * (0.9 * Math.exp(0.2 * 0.05) - 1)))).toBeLessThanOrEqual(1e-12);
    expect(rel(cc[1], 90000 * (Math.exp(-0.3 * 0.05) - 1))).toBeLessThanOrEqual(1e-12);
    // A short future: its own tenor.
    const fut = test.losses([idx('BTC-M4')], [-1]);
    expect(rel(fut[0], 91200 * (0.9 * Math.exp(0.2 * Math.max(T4, 0.05)) - 1))).toBeLessThanOrEqual(1e-12);
    // Spot and an option on spot do not move with the basis; an option on the future does.
    expect(test.losses([idx('BTC')], [1])[1]).toBe(0);
    expect(test.losses([idx('BTC-95000-C')], [1])[1]).toBe(0);
    expect(test.losses([idx('BTC-M4-80000-P')], [1])[1]).not.toBe(0);
    expect(() => validateStress({ scenarios: [{ name: 'x', basis: { BTC: 2 } }] }, 's.json', '', m))
      .toThrow('s.json: scenarios[0].basis.BTC: expected a finite number between -1 and 1 (an annualised log move of the basis), got 2');
  });

  it('validation names the field; the schema agrees', async () => {
    const m = resolveMarket(market({ points: POINTS }), 'm.json');
    const bad = (g: unknown) => inputErrorMessage(() => validateGrid(g, 'g.json', '', m));
    expect(bad({ points: POINTS, basis: { move: -0.1 } })).toBe('g.json: basis.move: expected a number >= 0 and <= 1 (an annualised log move of the basis), got -0.1');
    expect(bad({ points: POINTS, basis: { minYears: 1 } })).toMatch(/^g\.json: basis\.move: expected a number >= 0 and <= 1/);
    expect(bad({ points: POINTS, basis: { move: 0.05, tenor: 1 } })).toMatch(/^g\.json: basis\.tenor: unknown field for a basis block/);
    expect(bad({ points: POINTS, underlyings: { BTC: { basis: { move: 0.05, minYears: -1 } } } })).toMatch(/^g\.json: underlyings\.BTC\.basis\.minYears: expected a number >= 0 and <= 100/);
    const { readFileSync } = await import('node:fs');
    const { packageFile } = await import('../src/paths.js');
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const valid = new Ajv2020({ strict: false, logger: false }).compile(JSON.parse(readFileSync(packageFile('schema', 'market.schema.json'), 'utf8')));
    const good = market({ points: POINTS, basis: { move: b, minYears: t0 }, underlyings: { ETH: { moveScale: 1.2, basis: { move: 0.08 } } } });
    expect(valid(good), JSON.stringify(valid.errors)).toBe(true);
    const stressed = { ...good, risk: { ...good.risk, stress: { basisMinYears: 0.1, scenarios: [{ name: 'B', basis: { BTC: 0.1 } }] } } };
    expect(valid(stressed), JSON.stringify(valid.errors)).toBe(true);
    expect(() => resolveMarket(stressed, 'm.json')).not.toThrow();
    const badStress = { ...good, risk: { ...good.risk, stress: { scenarios: [{ name: 'B', basis: { BTC: 2 } }] } } };
    expect(valid(badStress)).toBe(false);
    expect(() => resolveMarket(badStress, 'm.json')).toThrow(/scenarios\[0\]\.basis\.BTC/);
    for (const basis of [{ move: -1 }, { minYears: 1 }, { move: 0.1, x: 1 }]) {
      expect(valid(market({ points: POINTS, basis }))).toBe(false);
      expect(() => resolveMarket(market({ points: POINTS, basis }), 'm.json')).toThrow();
    }
  });
});
