// American options through the market (docs/methods.md §2.3, §3.6): `"style": "american"` prices an
// option by Bjerksund-Stensland (2002) in valuation, in every cube (grid, es, fhs, stress) and in
// the account layer. Checked against:
// - Haug (2007) Table 3-2 (the 2002 columns: American options on futures, K = 100, r = 0.10),
//   within half a unit of the 4th decimal (5e-5), through the market loader and valueMarket, with
//   the option written on a future of price 90, 100, 110;
// - the plain-TypeScript twins (americanPriceRef, referenceRevalue, referenceDynamicCube,
//   americanGreeksRef): cube cells within 1e-9 of the prices' scale, greeks within 1e-6;
// - the properties: never below the European value nor the intrinsic value; a call without
//   dividends (and a put with r <= 0) is the European option bit for bit;
// - the reference grid margin, threads 1 and 2, and the margin book against a from-scratch run.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { valueMarket } from '../src/valuation.js';
import { validateGrid } from '../src/market/grid-spec.js';
import { buildGridScenarios } from '../src/scenarios/grid.js';
import { buildCube, cubeByInstrument } from '../src/cube/cube.js';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels } from '../src/wasm/module.js';
import { referenceRevalue } from '../src/reference/cube.js';
import { referenceDynamicCube } from '../src/reference/vol-dynamics.js';
import { americanPriceRef } from '../src/reference/american.js';
import { americanGreeksRef, bsmGreeksRef, bsmPriceRef } from '../src/reference/valuation.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { createMarginModel } from '../src/models/create.js';
import { Rng } from './helpers/random.js';
import { ok } from './helpers/results.js';
import { expectBookMatchesFromScratch, expectThreadsMatchInProcess } from './helpers/engine.js';
import { HAUG_CALLS, HAUG_PUTS, HAUG_TOL, SPOTS } from './helpers/haug.js';

const AS_OF = Date.parse('2026-01-05T00:00:00Z');
const at = (T: number) => new Date(AS_OF + Math.round(T * 365 * 86400000)).toISOString();

describe('American options in valuation', () => {
  it('Haug (2007) Table 3-2 through the market: American options on futures, within 5e-5', () => {
    let worst = 0;
    for (const [right, table] of [['call', HAUG_CALLS], ['put', HAUG_PUTS]] as const) {
      for (const [T, vol, values] of table) {
        SPOTS.forEach((F, k) => {
          const m = resolveMarket({
            asOf: at(0), currency: 'USD', underlyings: { X: { spot: F, rate: 0.10, yield: 0.03 } },
            instruments: {
              FUT: { kind: 'future', underlying: 'X', expiry: at(1), price: F },
              A: { kind: 'option', underlying: 'X', right, strike: 100, expiry: at(T), vol, future: 'FUT', style: 'american' },
            },
          }, 'm.json');
          const v = valueMarket(m)[1];
          expect(Math.abs(v.value - values[k]), `${right} F=${F} T=${T} vol=${vol}: ${v.value}`).toBeLessThanOrEqual(HAUG_TOL);
          expect(v.value).toBe(v.value); // finite
          worst = Math.max(worst, Math.abs(v.value - values[k]));
        });
      }
    }
    expect(worst).toBeLessThanOrEqual(HAUG_TOL);
  });

  it('value and greeks against the twin; never below European or intrinsic; no early exercise: the European numbers bit for bit', () => {
    const rng = new Rng(404);
    let premium = 0;
    for (let k = 0; k < 200; k++) {
      const S = rng.uniform(10, 500), K = S * rng.uniform(0.6, 1.5), T = rng.uniform(0.02, 3), vol = rng.uniform(0.05, 1);
      const r = rng.uniform(-0.01, 0.08), q = rng.pick([0, rng.uniform(0, 0.08)]);
      const right = rng.pick(['call', 'put'] as const), call = right === 'call';
      const json = (style: string) => ({
        asOf: at(0), currency: 'USD', underlyings: { X: { spot: S, rate: r, yield: q } },
        instruments: { O: { kind: 'option', underlying: 'X', right, strike: K, expiry: at(T), vol, style, contractSize: 10 } },
      });
      const ma = resolveMarket(json('american'), 'm.json'), me = resolveMarket(json('european'), 'm.json');
      const a = valueMarket(ma)[0], e = valueMarket(me)[0];
      const Ty = ma.instruments.T[0];
      const msg = `${right} S=${S} K=${K} T=${T} r=${r} q=${q} vol=${vol}`;
      const noPremium = call ? q <= 0 && r >= 0 : r <= 0 && q >= 0;
      if (noPremium) {
        expect(a, msg).toEqual(e); // the European kernel's numbers
        continue;
      }
      premium++;
      expect(a.value, msg).toBeGreaterThanOrEqual(e.value);
      expect(a.value, msg).toBeGreaterThanOrEqual(10 * Math.max(call ? S - K : K - S, 0) * (1 - 1e-15));
      const ref = americanGreeksRef(call, S, K, Ty, r, q, vol, bsmGreeksRef(call, S, K, Ty, r, q, vol));
      expect(Math.abs(a.value - 10 * ref.value), msg).toBeLessThanOrEqual(1e-12 * Math.max(10 * ref.value, K));
      expect(Math.abs(a.value - 10 * americanPriceRef(call, S, K, Ty, r, q, vol)), msg).toBeLessThanOrEqual(1e-12 * 10 * K);
      for (const g of ['delta', 'vega', 'theta'] as const) {
        expect(Math.abs(a[g] - 10 * ref[g]), `${msg} ${g}: ${a[g]} vs ${10 * ref[g]}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(10 * ref[g]), 10));
      }
      expect(Math.abs(a.gamma - 10 * ref.gamma) * S * S, `${msg} gamma`).toBeLessThanOrEqual(1e-4 * 10 * K);
    }
    expect(premium).toBeGreaterThan(80);
  });
});

// A book with American options on spot (equities with dividends), on futures and European ones.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function book(risk: any): any {
  return {
    asOf: at(0), currency: 'USD',
    underlyings: { AAPL: { spot: 230, rate: 0.04, yield: 0.005, vol: 0.3 }, CL: { spot: 70, rate: 0.04, yield: 0.0, vol: 0.4 } },
    instruments: {
      AAPL: { kind: 'spot', underlying: 'AAPL' },
      'AAPL-P220': { kind: 'option', underlying: 'AAPL', right: 'put', strike: 220, expiry: at(0.3), vol: 0.28, style: 'american', contractSize: 100 },
      'AAPL-C240': { kind: 'option', underlying: 'AAPL', right: 'call', strike: 240, expiry: at(0.6), vol: 0.27, style: 'american', contractSize: 100 },
      'AAPL-P250': { kind: 'option', underlying: 'AAPL', right: 'put', strike: 250, expiry: at(1.5), vol: 0.3, style: 'american', contractSize: 100 },
      'AAPL-C230E': { kind: 'option', underlying: 'AAPL', right: 'call', strike: 230, expiry: at(0.6), vol: 0.27, contractSize: 100 },
      'CL-M6': { kind: 'future', underlying: 'CL', expiry: at(0.5), price: 71.2, contractSize: 1000 },
      'CL-M6-65P': { kind: 'option', underlying: 'CL', right: 'put', strike: 65, expiry: at(0.45), vol: 0.42, future: 'CL-M6', style: 'american', contractSize: 1000 },
      'CL-M6-80C': { kind: 'option', underlying: 'CL', right: 'call', strike: 80, expiry: at(0.45), vol: 0.38, future: 'CL-M6', style: 'american', contractSize: 1000 },
    },
    risk,
  };
}
const GRID = {
  points: [{ move: -0.15 }, { move: -0.05 }, { move: 0 }, { move: 0.05 }, { move: 0.15 }, { move: -0.3, cover: 0.3, volMoves: [0.4] }],
  volMoves: [-0.2, 0, 0.3], volTerm: { refDays: 30, power: 0.3 }, horizonDays: 2, longOptionMinimum: 25, shortOptionMinimum: 40,
};

describe('American options in the cube and the margin methods', () => {
  it('the cube matches the twins (plain and sticky-moneyness grids); the European rows are unchanged', () => {
    const m = resolveMarket(book({}), 'm.json');
    for (const g of [GRID, { ...GRID, volMoves: [{ move: -0.2, skew: 0.1 }, 0, { move: 0.3, min: 0.35 }] }]) {
      const scen = buildGridScenarios(m, validateGrid(g, 'g.json', '', m));
      const got = cubeByInstrument(buildCube(new Arena(instantiateKernels()), m, scen));
      const want = scen.dynamics ? referenceDynamicCube(m, scen)
        : referenceRevalue(m.table, m.instruments.ids.length, scen.spotMult, scen.volShock, scen.volWeight, scen.horizonYears, scen.nScen, scen.stride);
      const ins = m.instruments;
      for (let i = 0; i < ins.ids.length; i++) {
        const scale = ins.contractSize[i] * (m.underlyings.spot[ins.underlying[i]] + ins.strike[i]);
        for (let s = 0; s < scen.nScen; s++) {
          const c = i * scen.stride + s;
          expect(Math.abs(got[c] - want[c]), `${ins.ids[i]} scenario ${s}: ${got[c]} vs ${want[c]}`).toBeLessThanOrEqual(1e-9 * scale);
        }
      }
      // The European call's row is the European kernel's (bit for bit the market without American options).
      const eu = structuredClone(book({}));
      for (const o of Object.values(eu.instruments) as { style?: string }[]) delete o.style;
      const me = resolveMarket(eu, 'm.json');
      const ge = cubeByInstrument(buildCube(new Arena(instantiateKernels()), me, buildGridScenarios(me, validateGrid(g, 'g.json', '', me))));
      const i = ins.index.get('AAPL-C230E')!;
      expect(got.subarray(i * scen.stride, (i + 1) * scen.stride)).toEqual(ge.subarray(i * scen.stride, (i + 1) * scen.stride));
      // ... and an American put differs from its European twin.
      const p = ins.index.get('AAPL-P250')!;
      expect(got[p * scen.stride]).not.toBe(ge[p * scen.stride]);
    }
  });

  it('the grid margin equals the reference grid margin on 150 random books', () => {
    const m = resolveMarket(book({ grid: GRID }), 'm.json');
    const model = createMarginModel(m, { method: 'grid' });
    const rng = new Rng(77);
    for (let k = 0; k < 150; k++) {
      const positions = Array.from({ length: rng.int(1, 4) }, () => ({ instrument: rng.pick(m.instruments.ids), quantity: rng.int(-4, 4) || 1 }));
      const got = ok(model.margin({ id: `p${k}`, positions })).initialMargin;
      const want = referenceGridMargin(m, m.risk.grid!, positions).initialMargin;
      expect(Math.abs(got - want), `${JSON.stringify(positions)}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
    }
  });

  it('grid and es through the batch engine on 1 and 2 threads: the in-process margins bit for bit', async () => {
    const es = { confidence: 0.99, horizonDays: 2, scenarios: 2000, seed: 11, correlations: [['AAPL', 'CL', 0.2]] };
    const m = resolveMarket(book({ grid: GRID, es }), 'm.json');
    const rng = new Rng(3);
    const portfolios = Array.from({ length: 60 }, (_, k) => ({
      id: `p${k}`, positions: Array.from({ length: rng.int(1, 4) }, () => ({ instrument: rng.pick(m.instruments.ids), quantity: rng.int(-4, 4) || 1 })),
    }));
    await expectThreadsMatchInProcess(m, portfolios, ['grid', 'es']);
  });

  it('the margin book values American options as valuation does and equals a from-scratch run after events', async () => {
    const { resolveAccountMarket } = await import('../src/accounts/market.js');
    const { resolveAccounts } = await import('../src/accounts/parse.js');
    const { MarginBook } = await import('../src/book/book.js');
    const am = resolveAccountMarket(book({ grid: GRID }), 'market.json');
    const accounts = {
      assets: { USD: { haircut: 0 } },
      accounts: [{ account: 'A', mode: 'portfolio', numeraire: 'USD', collateral: { USD: 100000 }, positions: [
        { instrument: 'AAPL-P250', quantity: -3 }, { instrument: 'AAPL', quantity: 200 }, { instrument: 'CL-M6-65P', quantity: 2 }] }],
    };
    const b = new MarginBook(am, resolveAccounts(accounts, 'accounts.json', am.market), { method: 'grid' });
    const v = valueMarket(am.market);
    const idx = (id: string) => am.market.instruments.index.get(id)!;
    const want = -3 * v[idx('AAPL-P250')].value + 2 * v[idx('CL-M6-65P')].value;
    const got = b.marginAll()[0];
    expect(got.ok && Math.abs(got.optionValue - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
    expect(v[idx('AAPL-P250')].value).toBeGreaterThan(100 * bsmPriceRef(false, 230, 250, am.market.instruments.T[idx('AAPL-P250')], 0.04, 0.005, 0.3));
    expectBookMatchesFromScratch(b, [{ type: 'price', underlying: 'AAPL', spot: 212 }, { type: 'price', instrument: 'CL-M6', price: 66 }, { type: 'vol', instrument: 'AAPL-P250', vol: 0.4 }]);
  });
});

