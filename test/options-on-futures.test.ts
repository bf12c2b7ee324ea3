// Options on futures (docs/methods.md §2.3, §3.3): an option naming `future` is Black-76 on that
// future's price with its own expiry, discounted at the underlying's rate, and revalues off the
// future's shocked price in every scenario. Checked against:
// - Haug's published Black-76 values (The Complete Guide to Option Pricing Formulas, 2nd ed.,
//   McGraw-Hill 2007, §1.1.3, the Brent Blend example, and the b = 0 rows of his 1998 table as
//   QuantLib's test-suite/europeanoption.cpp uses them), within their 4 decimals (1e-4), through
//   the market loader and `valueMarket`;
// - the separate Black-76 twin (src/reference/black76.ts): values within 1e-13 relative, greeks
//   within 1e-9 relative (different formulas for the same numbers);
// - bump-and-revalue of every greek through the engine itself (central differences on the
//   future's price, the vol and the expiry), within 1e-6 relative;
// - the reference grid margin (Black-76 on F m), the margin book against a from-scratch run after
//   events on the spot and on the future, and threads 1 and 2 of the batch engine.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { valueMarket } from '../src/valuation.js';
import { black76GreeksRef } from '../src/reference/black76.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { createGridModel } from '../src/models/grid.js';
import { surfaceVol } from '../src/surface/surface.js';
import { Rng } from './helpers/random.js';
import { inputErrorMessage, ok } from './helpers/results.js';
import { expectBookMatchesFromScratch, expectThreadsMatchInProcess } from './helpers/engine.js';

const AS_OF = Date.parse('2026-01-05T00:00:00Z');
/** The date-time T years (ACT/365F) after asOf, to the millisecond. */
const at = (T: number) => new Date(AS_OF + Math.round(T * 365 * 86400000)).toISOString();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function market(F: number, K: number, T: number, vol: number | undefined, right: 'call' | 'put', extra: Record<string, any> = {}): any {
  return {
    asOf: at(0), currency: 'USD',
    underlyings: { BRENT: { spot: F * 0.97, rate: 0.10, yield: 0.02, ...extra.underlying } },
    instruments: {
      FUT: { kind: 'future', underlying: 'BRENT', expiry: at(T + 0.25), price: F },
      OPT: { kind: 'option', underlying: 'BRENT', right, strike: K, expiry: at(T), ...(vol === undefined ? {} : { vol }), future: 'FUT' },
      ...extra.instruments,
    },
    risk: extra.risk ?? {},
  };
}

const HAUG: [right: 'call' | 'put', F: number, K: number, T: number, vol: number, value: number][] = [
  ['call', 19, 19, 0.75, 0.28, 1.7011], ['put', 19, 19, 0.75, 0.28, 1.7011],
  ['call', 90, 100, 0.10, 0.15, 0.0205], ['call', 100, 100, 0.10, 0.25, 3.1217], ['call', 110, 100, 0.50, 0.35, 15.3086],
  ['put', 90, 100, 0.50, 0.25, 12.2149], ['put', 110, 100, 0.10, 0.15, 0.0408], ['put', 100, 100, 0.50, 0.35, 9.3679],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('options on futures: Black-76 on the future\'s price', () => {
  it('Haug\'s values through the market and valueMarket; the twin\'s value and greeks; greeks_wrt names the future', () => {
    for (const [right, F, K, T, vol, published] of HAUG) {
      const m = resolveMarket(market(F, K, T, vol, right), 'm.json');
      const i = m.instruments.index.get('OPT')!;
      expect(m.instruments.T[i]).toBeCloseTo(T, 12);
      const v = valueMarket(m)[i];
      const msg = `${right} F=${F} K=${K} T=${T} vol=${vol}`;
      expect(Math.abs(v.value - published), msg).toBeLessThanOrEqual(1e-4);
      const ref = black76GreeksRef(right === 'call', F, K, m.instruments.T[i], 0.10, vol);
      expect(rel(v.value, ref.value), msg).toBeLessThanOrEqual(1e-13);
      for (const g of ['delta', 'gamma', 'vega', 'theta'] as const) expect(rel(v[g], ref[g]), `${msg} ${g}: ${v[g]} vs ${ref[g]}`).toBeLessThanOrEqual(1e-9);
      expect(v.greeksWrt).toBe('FUT');
      expect(valueMarket(m)[m.instruments.index.get('FUT')!].greeksWrt).toBe('BRENT');
    }
  });

  it('every greek by bump-and-revalue through the engine (future price, vol, expiry)', () => {
    const rng = new Rng(31);
    for (let k = 0; k < 30; k++) {
      const F = rng.uniform(20, 200), K = F * rng.uniform(0.7, 1.3), T = rng.uniform(0.05, 2), vol = rng.uniform(0.1, 0.9);
      const right = rng.pick(['call', 'put'] as const);
      const value = (f: number, v: number, t: number) => {
        const m = resolveMarket(market(f, K, t, v, right), 'm.json');
        return valueMarket(m)[m.instruments.index.get('OPT')!].value;
      };
      const m0 = resolveMarket(market(F, K, T, vol, right), 'm.json');
      const g = valueMarket(m0)[m0.instruments.index.get('OPT')!];
      const hF = F * 1e-4, hV = 1e-5, hT = 1e-4;
      const msg = `${right} F=${F} K=${K} T=${T} vol=${vol}`;
      const delta = (value(F + hF, vol, T) - value(F - hF, vol, T)) / (2 * hF);
      const gamma = (value(F + hF, vol, T) - 2 * g.value + value(F - hF, vol, T)) / (hF * hF);
      const vega = (value(F, vol + hV, T) - value(F, vol - hV, T)) / (2 * hV);
      const theta = -(value(F, vol, T + hT) - value(F, vol, T - hT)) / (2 * hT);
      const scale = g.value + F * 1e-3; // absolute floor for tiny greeks, in money per unit
      expect(Math.abs(delta - g.delta), `${msg} delta ${delta} vs ${g.delta}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(g.delta), 1e-3));
      expect(Math.abs(gamma - g.gamma) * F * F, `${msg} gamma ${gamma} vs ${g.gamma}`).toBeLessThanOrEqual(1e-4 * scale);
      expect(Math.abs(vega - g.vega), `${msg} vega ${vega} vs ${g.vega}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(g.vega), scale));
      expect(Math.abs(theta - g.theta), `${msg} theta ${theta} vs ${g.theta}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(g.theta), scale));
    }
  });

  it('a surface-priced option on a future reads the surface at K / F_fut, bit for bit', () => {
    const surface = { axis: 'moneyness', expiries: [at(0.2), at(1)], points: [0.8, 1, 1.25], vols: [[0.5, 0.4, 0.45], [0.45, 0.38, 0.4]] };
    const m = resolveMarket(market(80, 90, 0.5, undefined, 'call', { underlying: { surface } }), 'm.json');
    const i = m.instruments.index.get('OPT')!;
    expect(m.instruments.volFromSurface![i]).toBe(1);
    expect(m.instruments.vol[i]).toBe(surfaceVol(m.underlyings.surface![0]!, 90, m.instruments.T[i], 80));
    expect(valueMarket(m)[i].volSource).toBe('surface');
  });

  it('refuses a future that is unknown, not a future, on another underlying, or expiring first; the schema agrees', async () => {
    const base = () => market(19, 19, 0.75, 0.28, 'call', {
      instruments: { PERP: { kind: 'perpetual', underlying: 'BRENT' }, GAS: { kind: 'future', underlying: 'GAS', expiry: at(1) } },
    });
    const bad = (edit: (m: ReturnType<typeof base>) => void) => {
      const m = base();
      m.underlyings.GAS = { spot: 3, rate: 0.05 };
      edit(m);
      return inputErrorMessage(() => resolveMarket(m, 'm.json'));
    };
    expect(bad((m) => { m.instruments.OPT.future = 'NOPE'; })).toBe('m.json: instruments.OPT.future: unknown instrument "NOPE"; expected the id of a future of the market');
    expect(bad((m) => { m.instruments.OPT.future = 'PERP'; })).toBe('m.json: instruments.OPT.future: "PERP" is a perpetual; an option may be written on a future only');
    expect(bad((m) => { m.instruments.OPT.future = 'GAS'; })).toBe('m.json: instruments.OPT.future: the future "GAS" is on "GAS", the option on "BRENT": they must have the same underlying');
    expect(bad((m) => { m.instruments.OPT.expiry = at(2); })).toMatch(/^m\.json: instruments\.OPT\.expiry: the option expires after its future "FUT" \(2 against 1 years from asOf\)/);
    expect(bad((m) => { m.instruments.OPT.future = 7; })).toBe('m.json: instruments.OPT.future: expected the id of a future of the market, got 7');
    expect(bad((m) => { m.instruments.FUT.future = 'FUT'; })).toMatch(/^m\.json: instruments\.FUT\.future: unknown field for a future/);
    const { readFileSync } = await import('node:fs');
    const { packageFile } = await import('../src/paths.js');
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const valid = new Ajv2020({ strict: false, logger: false }).compile(JSON.parse(readFileSync(packageFile('schema', 'market.schema.json'), 'utf8')));
    const good = base();
    good.underlyings.GAS = { spot: 3, rate: 0.05 };
    expect(valid(good), JSON.stringify(valid.errors)).toBe(true);
    const onFuture = structuredClone(good);
    onFuture.instruments.FUT.future = 'FUT';
    expect(valid(onFuture)).toBe(false);
  });
});

// A BTC futures curve with options on it, options on spot, spot and a perpetual.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function curveMarket(risk: any): any {
  return {
    asOf: at(0), currency: 'USD',
    underlyings: { BTC: { spot: 90000, rate: 0.04, yield: 0, vol: 0.6 }, ETH: { spot: 3000, rate: 0.04, vol: 0.7 } },
    instruments: {
      BTC: { kind: 'spot', underlying: 'BTC' },
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-M1': { kind: 'future', underlying: 'BTC', expiry: at(1 / 12), price: 90600 },
      'BTC-M3': { kind: 'future', underlying: 'BTC', expiry: at(0.25), price: 92100 },
      'BTC-M1-90000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 90000, expiry: at(1 / 12), vol: 0.55, future: 'BTC-M1' },
      'BTC-M3-80000-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 80000, expiry: at(0.25), vol: 0.62, future: 'BTC-M3' },
      'BTC-M3-100000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: at(0.2), vol: 0.58, future: 'BTC-M3' },
      'BTC-S-95000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 95000, expiry: at(0.2), vol: 0.57 },
      'ETH-M3': { kind: 'future', underlying: 'ETH', expiry: at(0.25) },
      'ETH-M3-3000-P': { kind: 'option', underlying: 'ETH', right: 'put', strike: 3000, expiry: at(0.25), vol: 0.7, future: 'ETH-M3' },
    },
    risk,
  };
}
const GRID = {
  points: [{ move: -0.15 }, { move: -0.07 }, { move: 0 }, { move: 0.07 }, { move: 0.15 }, { move: -0.3, cover: 0.3, volMoves: [0.5] }],
  volMoves: [-0.2, 0, 0.3], volTerm: { refDays: 30, power: 0.3 }, horizonDays: 1, longOptionMinimum: 50, shortOptionMinimum: 100,
};

function randomBook(rng: Rng, ids: string[], n: number) {
  return Array.from({ length: n }, (_, k) => ({
    id: `p${k}`,
    positions: Array.from({ length: rng.int(1, 5) }, () => ({ instrument: rng.pick(ids), quantity: rng.int(-5, 5) || 1 })),
  }));
}

describe('options on futures in the margin methods', () => {
  it('the grid margin equals the reference (Black-76 on F m) on 200 random books', () => {
    const m = resolveMarket(curveMarket({ grid: GRID }), 'm.json');
    const model = createGridModel(m);
    const rng = new Rng(5);
    let worst = 0;
    for (const p of randomBook(rng, m.instruments.ids, 200)) {
      const got = ok(model.margin(p)).initialMargin;
      const want = referenceGridMargin(m, m.risk.grid!, p.positions).initialMargin;
      const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
      expect(err, `${JSON.stringify(p.positions)}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9);
      worst = Math.max(worst, err);
    }
    // An option on a future differs from the same option on spot (its forward is the future's price).
    const onSpot = structuredClone(curveMarket({ grid: GRID }));
    delete onSpot.instruments['BTC-M3-80000-P'].future;
    const p = { id: 'x', positions: [{ instrument: 'BTC-M3-80000-P', quantity: -2 }] };
    expect(ok(createGridModel(resolveMarket(onSpot, 'm.json')).margin(p)).initialMargin).not.toBe(ok(model.margin(p)).initialMargin);
  });

  it('es: the batch engine on 1 and 2 threads gives the in-process margins bit for bit', async () => {
    const es = { confidence: 0.99, horizonDays: 2, scenarios: 4000, seed: 3, correlations: [['BTC', 'ETH', 0.7]] };
    const m = resolveMarket(curveMarket({ grid: GRID, es }), 'm.json');
    const book = randomBook(new Rng(8), m.instruments.ids, 120);
    await expectThreadsMatchInProcess(m, book, ['grid', 'es']);
  });

  it('the margin book moves options with their future (price events) and with the spot; it equals a from-scratch run', async () => {
    const { resolveAccountMarket } = await import('../src/accounts/market.js');
    const { resolveAccounts } = await import('../src/accounts/parse.js');
    const { MarginBook } = await import('../src/book/book.js');
    const mk = curveMarket({ grid: GRID });
    const accounts = {
      assets: { USD: { haircut: 0 } },
      accounts: [
        { account: 'A', mode: 'portfolio', numeraire: 'USD', collateral: { USD: 50000 }, positions: [
          { instrument: 'BTC-M3-80000-P', quantity: -3 }, { instrument: 'BTC-M3', quantity: 1, price: 92000 }, { instrument: 'BTC-M1-90000-C', quantity: 2 }] },
        { account: 'B', mode: 'cross', numeraire: 'USD', collateral: { USD: 20000 }, positions: [
          { instrument: 'BTC-M3-100000-C', quantity: -2 }, { instrument: 'ETH-M3-3000-P', quantity: 5 }] },
      ],
    };
    const am = resolveAccountMarket(mk, 'market.json');
    const book = new MarginBook(am, resolveAccounts(accounts, 'accounts.json', am.market), { method: 'grid' });
    const events = [
      { type: 'price', instrument: 'BTC-M3', price: 95000 }, { type: 'price', underlying: 'BTC', spot: 86000 },
      { type: 'price', instrument: 'ETH-M3', price: 2800 }, { type: 'price', instrument: 'BTC-M1', price: 85500 },
    ];
    const before = book.marginAll().map((r) => (r.ok ? r.optionValue : NaN));
    expectBookMatchesFromScratch(book, events);
    // The first event moved only the future BTC-M3, and so the value of the options written on it.
    const after = book.marginAll().map((r) => (r.ok ? r.optionValue : NaN));
    expect(after[0]).not.toBe(before[0]);
  });
});
