// Euler allocation of the initial margin over positions (grid, es, fhs, and a binding stress
// floor): the shares sum to the margin (1e-9 relative), a single position carries the whole
// margin, a hedge gets a negative share, and each share is the derivative of the margin with
// respect to scaling its position (central differences, checked where the margin is smooth).
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createMarginModel } from '../src/models/create.js';
import { validateStress } from '../src/market/stress-spec.js';
import type { MarginModel } from '../src/models/model.js';
import type { MarginOk, MarginResult, PositionShare } from '../src/results.js';
import type { Position } from '../src/portfolio/resolve.js';
import { Rng } from './helpers/random.js';
import { ok } from './helpers/results.js';

const TOL = 1e-9;


function day(offset: number): string {
  return new Date(Date.parse('2026-11-20T00:00:00Z') + offset * 86400000).toISOString().slice(0, 10);
}

/** A synthetic history: correlated normal daily returns, vol clustering by regime. */
function history(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['date,underlying,price'];
  const p = { BTC: 90000, ETH: 3000, SPX: 5800 };
  for (let t = 0; t <= n; t++) {
    if (t > 0) {
      const common = rng.normal(), vol = t % 200 < 30 ? 3 : 1;
      p.BTC *= Math.exp(0.02 * vol * (0.8 * common + 0.6 * rng.normal()));
      p.ETH *= Math.exp(0.025 * vol * (0.8 * common + 0.6 * rng.normal()));
      p.SPX *= Math.exp(0.008 * vol * (0.3 * common + 0.95 * rng.normal()));
    }
    for (const [u, x] of Object.entries(p)) lines.push(`${day(t - n)},${u},${x}`);
  }
  return lines.join('\n') + '\n';
}

const MARKET = {
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: {
    BTC: { spot: 97000, rate: 0.04, vol: 0.6, group: 'CRYPTO' }, ETH: { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' },
    SPX: { spot: 6000, rate: 0.04, yield: 0.013, vol: 0.18 },
  },
  instruments: {
    'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
    'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
    'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 105000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
    'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 90000, expiry: '2026-12-26T00:00:00Z', vol: 0.6 },
    'BTC-P-FAR': { kind: 'option', underlying: 'BTC', right: 'put', strike: 40000, expiry: '2026-11-27T00:00:00Z', vol: 0.6 },
    'ETH-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 3500, expiry: '2027-03-26T00:00:00Z', vol: 0.7 },
    'SPX-F': { kind: 'future', underlying: 'SPX', expiry: '2026-12-18T00:00:00Z', contractSize: 50 },
    'SPX-P': { kind: 'option', underlying: 'SPX', right: 'put', strike: 5700, expiry: '2026-12-18T00:00:00Z', vol: 0.2, contractSize: 100 },
  },
  risk: {
    grid: {
      points: [{ move: -0.15 }, { move: -0.075 }, { move: 0 }, { move: 0.075 }, { move: 0.15 }, { move: -0.3, cover: 0.35, volMoves: [0] }],
      volMoves: [-0.3, 0, 0.3], volTerm: { refDays: 30, power: 0.3 }, groups: { CRYPTO: { offset: 0.6 } },
      shortOptionMinimum: 40, longOptionMinimum: 5, maintenanceRatio: 0.8,
    },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 4000, seed: 3, distribution: 'student-t', degreesOfFreedom: 5,
      correlations: [['BTC', 'ETH', 0.8], ['BTC', 'SPX', 0.3], ['ETH', 'SPX', 0.3]] },
    fhs: { confidence: 0.99, horizonDays: 2, seedReturns: 20 },
  },
};

const market = resolveMarket(MARKET, 'market.json');
const HISTORY = history(700, 21);
const models: Record<'grid' | 'es' | 'fhs', MarginModel> = {
  grid: createMarginModel(market, { method: 'grid', allocation: true }),
  es: createMarginModel(market, { method: 'es', allocation: true }),
  fhs: createMarginModel(market, { method: 'fhs', allocation: true, history: HISTORY }),
};
const plain: Record<'grid' | 'es' | 'fhs', MarginModel> = {
  grid: createMarginModel(market, { method: 'grid' }),
  es: createMarginModel(market, { method: 'es' }),
  fhs: createMarginModel(market, { method: 'fhs', history: HISTORY }),
};
const METHODS = ['grid', 'es', 'fhs'] as const;
const IDS = market.instruments.ids;

const sum = (a: PositionShare[]) => a.reduce((s, x) => s + x.initialMargin, 0);

function book(seed: number, count: number): Position[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: rng.int(1, 6) }, () => ({
    instrument: rng.pick(IDS), quantity: Math.round(rng.uniform(-5, 5) * 100) / 100 })));
}

describe('allocation: shares sum to the margin', () => {
  for (const method of METHODS) {
    it(`${method}: 150 random portfolios, within ${TOL} relative`, () => {
      let checked = 0, maxRel = 0;
      for (const [k, positions] of book(100 + method.length, 150).entries()) {
        const r = ok(models[method].margin({ id: `p${k}`, positions }));
        const a = r.allocation!;
        expect(a.length).toBe(new Set(positions.map((p) => p.instrument)).size);
        const d = Math.abs(sum(a) - r.initialMargin);
        const rel = d / Math.max(r.initialMargin, 1e-300);
        if (r.initialMargin > 0) maxRel = Math.max(maxRel, rel);
        expect(d, `${method} portfolio ${JSON.stringify(positions)}: shares ${JSON.stringify(a)} vs ${r.initialMargin}`)
          .toBeLessThanOrEqual(TOL * Math.max(r.initialMargin, 1e-6));
        // The allocation does not change the margin.
        expect(r.initialMargin).toBe(ok(plain[method].margin({ id: `p${k}`, positions })).initialMargin);
        checked++;
      }
      expect(checked).toBe(150);
      console.log(`${method}: max relative |sum of shares - margin| over 150 portfolios: ${maxRel.toExponential(2)}`);
    });
  }

  it('grid: each group\'s shares sum to its charge', () => {
    for (const [k, positions] of book(7, 100).entries()) {
      const r = ok(models.grid.margin({ id: `g${k}`, positions }));
      for (const g of r.groups!) {
        const s = sum(r.allocation!.filter((x) => x.group === g.group));
        expect(Math.abs(s - g.charge), `${JSON.stringify(positions)} group ${g.group}`).toBeLessThanOrEqual(TOL * Math.max(g.charge, 1e-6));
      }
    }
  });
});

describe('allocation: single positions and hedges', () => {
  for (const method of METHODS) {
    it(`${method}: a single position gets the whole margin`, () => {
      for (const [instrument, quantity] of [['BTC-PERP', 2], ['ETH-C', -3], ['SPX-F', 1]] as const) {
        const r = ok(models[method].margin({ id: 's', positions: [{ instrument, quantity }] }));
        expect(r.allocation!.length).toBe(1);
        // The same number up to the order of summation: 1e-12 relative.
        expect(Math.abs(r.allocation![0].initialMargin - r.initialMargin), `${method} ${instrument}: ${r.allocation![0].initialMargin} vs ${r.initialMargin}`)
          .toBeLessThanOrEqual(1e-12 * r.initialMargin);
      }
    });

    it(`${method}: a protective put gets a negative share, the hedged perpetual more than the whole margin`, () => {
      const r = ok(models[method].margin({ id: 'h', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-P', quantity: 1 }] }));
      const [perp, put] = r.allocation!;
      expect(put.instrument).toBe('BTC-P');
      expect(put.initialMargin, JSON.stringify(r.allocation)).toBeLessThan(0);
      expect(perp.initialMargin).toBeGreaterThan(r.initialMargin);
    });
  }

  it('a position that nets out, and an empty portfolio, get zero shares', () => {
    for (const method of METHODS) {
      const r = ok(models[method].margin({ id: 'z', positions: [{ instrument: 'BTC-C', quantity: 3 }, { instrument: 'BTC-C', quantity: -3 }] }));
      expect(r.allocation).toEqual([{ instrument: 'BTC-C', quantity: 0, underlying: 'BTC', initialMargin: expect.closeTo(0, 12), basis: expect.any(String),
        ...(method === 'grid' ? { group: 'CRYPTO' } : {}) }]);
      expect(ok(models[method].margin({ id: 'e', positions: [] })).allocation).toEqual([]);
    }
  });
});

describe('allocation: the grid\'s rules', () => {
  it('a gaining underlying of a group shares the offset times its loss', () => {
    // Long BTC, short ETH: at the worst point (BTC down) ETH gains; its share is 0.6 x its loss.
    const positions = [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'ETH-PERP', quantity: -10 }];
    const r = ok(models.grid.margin({ id: 'o', positions }));
    const g = r.groups![0];
    const btc = g.underlyings.find((u) => u.underlying === 'BTC')!, eth = g.underlyings.find((u) => u.underlying === 'ETH')!;
    expect(eth.loss).toBeLessThan(0);
    const [a, b] = r.allocation!;
    expect(Math.abs(a.initialMargin - btc.loss)).toBeLessThanOrEqual(TOL * btc.loss);
    expect(Math.abs(b.initialMargin - 0.6 * eth.loss)).toBeLessThanOrEqual(TOL * Math.abs(eth.loss));
    expect(a.basis).toBe('scan');
  });

  it('when the option minimum binds, each option carries its own minimum', () => {
    // Far out-of-the-money short puts: tiny scan risk, a minimum of 40 per unit short.
    const positions = [{ instrument: 'BTC-P-FAR', quantity: -2 }, { instrument: 'BTC-PERP', quantity: 0.00001 }];
    const r = ok(models.grid.margin({ id: 'm', positions }));
    const g = r.groups![0];
    expect(g.optionMinimum).toBeGreaterThan(g.scanRisk);
    expect(r.allocation!.map((x) => [x.instrument, x.initialMargin, x.basis])).toEqual([
      ['BTC-P-FAR', 80, 'option-minimum'], ['BTC-PERP', 0, 'option-minimum']]);
    expect(r.initialMargin).toBe(80);
  });
});

describe('allocation: Euler shares are derivatives of the margin (central differences)', () => {
  // Shares are d M(q(1 + e_p t)) / dt at t = 0. Where the margin is piecewise linear or smooth and
  // the bump keeps the same tail (es, fhs) or worst point and vol move (grid), the central
  // difference with t = 1e-6 equals the share up to rounding: tolerance 1e-6 x the margin.
  const cases: [string, Position[]][] = [
    ['perp and put', [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-P', quantity: 1 }]],
    ['cross-underlying', [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'ETH-PERP', quantity: -10 }, { instrument: 'SPX-F', quantity: 2 }]],
    ['options', [{ instrument: 'BTC-C', quantity: -2 }, { instrument: 'ETH-C', quantity: 5 }, { instrument: 'SPX-P', quantity: -1 }]],
  ];
  for (const method of METHODS) {
    for (const [name, positions] of cases) {
      it(`${method}: ${name}`, () => {
        const base = ok(models[method].margin({ id: 'b', positions }));
        const t = 1e-6;
        positions.forEach((p, i) => {
          const bumped = (f: number) => ok(plain[method].margin({ id: 'x', positions: positions.map((q, j) => (j === i ? { ...q, quantity: q.quantity * f } : q)) })).initialMargin;
          const d = (bumped(1 + t) - bumped(1 - t)) / (2 * t);
          const share = base.allocation![i].initialMargin;
          expect(Math.abs(d - share), `${method} ${name} ${p.instrument}: derivative ${d}, share ${share}`)
            .toBeLessThanOrEqual(1e-6 * base.initialMargin);
        });
      });
    }
  }
});

describe('allocation: a binding stress floor', () => {
  it('allocates cover x each position\'s loss in the worst stress scenario', () => {
    const stress = validateStress({ scenarios: [{ name: 'Crash', spot: { BTC: -0.4, ETH: -0.5 }, vol: { BTC: 0.5 } }, { name: 'Up', spot: { BTC: 0.3 } }],
      cover: 0.9, floor: true }, 'stress.json', '', market);
    const positions = [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-P', quantity: 0.5 }, { instrument: 'ETH-PERP', quantity: 3 }];
    for (const method of METHODS) {
      const m = createMarginModel(market, { method, allocation: true, stress, history: HISTORY });
      const r = ok(m.margin({ id: 's', positions }));
      expect(r.stress!.floored).toBe(true);
      expect(r.allocation!.every((x) => x.basis === 'stress')).toBe(true);
      expect(Math.abs(sum(r.allocation!) - r.initialMargin)).toBeLessThanOrEqual(TOL * r.initialMargin);
      // The perpetual's share: 0.9 x 97000 x 0.4 (perpetual at F = S).
      expect(Math.abs(r.allocation![0].initialMargin - 0.9 * 97000 * 0.4)).toBeLessThanOrEqual(TOL * 97000);
      expect(r.allocation![1].initialMargin).toBeLessThan(0); // the put gains in the crash
    }
  });
});
