// Scenario-grid margin end to end through the public model (docs/methods.md §6): hand-worked
// examples, the from-definition reference on random markets, and invariants.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import type { MarketInput } from '../src/market/types.js';
import type { MarginOk, MarginResult } from '../src/results.js';
import type { Position } from '../src/portfolio/resolve.js';
import { Rng } from './helpers/random.js';
import { loadPreset } from '../src/presets.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { createMarginModel } from '../src/models/create.js';
import { ok } from './helpers/results.js';


const handMarket: MarketInput = {
  asOf: '2026-11-20T00:00:00Z',
  currency: 'USD',
  underlyings: {
    A: { spot: 100, group: 'G' },
    B: { spot: 50, group: 'G' },
    C: { spot: 200 },
  },
  instruments: {
    'A-PERP': { kind: 'perpetual', underlying: 'A' },
    'B-FUT': { kind: 'future', underlying: 'B', expiry: '2026-12-20T00:00:00Z', price: 52, contractSize: 10 },
    C: { kind: 'spot', underlying: 'C' },
    'A-P-50': { kind: 'option', underlying: 'A', right: 'put', strike: 50, expiry: '2026-11-27T00:00:00Z', vol: 0.2, contractSize: 100 },
  },
  risk: {
    grid: {
      points: [{ move: -0.1 }, { move: 0 }, { move: 0.1 }, { move: -0.3, cover: 0.35, volMoves: [0] }],
      volMoves: [-0.2, 0, 0.2],
      groups: { G: { offset: 0.5 } },
      shortOptionMinimum: 0.375,
      maintenanceRatio: 0.8,
    },
  },
};

describe('grid margin: worked by hand', () => {
  const market = resolveMarket(handMarket, 'hand.json');
  const model = createGridModel(market);

  it('nets a group with its offset and charges an ungrouped underlying alone', () => {
    // A: +2 perps, P = 200*move: L_A = [20, 0, -20, 0.35*60 = 21].
    // B: -1 future of 10 x 52, P = -520*move: L_B = [-52, 0, 52, 0.35*(-156) = -54.6].
    // G (offset 0.5): N = [20 - 26, 0, 52 - 10, 21 - 27.3] = [-6, 0, 42, -6.3] -> R = 42 at point 2.
    // C: +3 spot, P = 600*move: L_C = [60, 0, -60, 0.35*180 = 63] -> R = 63 at point 3.
    const r = ok(model.margin({ id: 'P1', positions: [
      { instrument: 'A-PERP', quantity: 2 }, { instrument: 'B-FUT', quantity: -1 }, { instrument: 'C', quantity: 3 }] }));
    expect(r.initialMargin).toBeCloseTo(105, 9);
    expect(r.maintenanceMargin).toBeCloseTo(84, 9);
    const g = new Map(r.groups!.map((x) => [x.group, x]));
    expect(g.get('G')!.scanRisk).toBeCloseTo(42, 9);
    expect(g.get('G')!.worstPoint).toBe(2);
    expect(r.worstPoint).toBe(3);
    const gL = new Map(g.get('G')!.underlyings.map((x) => [x.underlying, x.loss]));
    expect(gL.get('A')).toBeCloseTo(-20, 9);
    expect(gL.get('B')).toBeCloseTo(52, 9);
  });

  it('charges the short option minimum when it exceeds the scan risk', () => {
    // A put struck 50 on a spot of 100, 7 days, 20 % vol: worth ~1e-50, so even at -30 % its
    // scan risk is far below the minimum 0.375 * 10 contracts * 100 = 375.
    const r = ok(model.margin({ id: 'P2', positions: [{ instrument: 'A-P-50', quantity: -10 }] }));
    expect(r.groups![0].optionMinimum).toBe(375);
    expect(r.groups![0].scanRisk).toBeLessThan(1e-6);
    expect(r.initialMargin).toBe(375);
  });

  it('caps each long option minimum at the option\'s market value (FINRA 4210(g)); short options keep theirs', () => {
    // tims-equity: 0.375 per unit of contract size, 37.50 a contract of 100, long and short.
    const m = resolveMarket({
      asOf: '2026-11-20T00:00:00Z', currency: 'USD',
      underlyings: { XYZ: { spot: 100, rate: 0.04, yield: 0.01 } },
      instruments: {
        'XYZ-P-70': { kind: 'option', underlying: 'XYZ', right: 'put', strike: 70, expiry: '2026-12-18T00:00:00Z', vol: 0.3, contractSize: 100 },
        'XYZ-P-100': { kind: 'option', underlying: 'XYZ', right: 'put', strike: 100, expiry: '2026-12-18T00:00:00Z', vol: 0.3, contractSize: 100 },
      },
    }, 'finra.json');
    const grid = loadPreset('tims-equity', m);
    const gm = createGridModel(m, { grid });
    const T = 28 / 365;
    const v70 = 100 * bsmPriceRef(false, 100, 70, T, 0.04, 0.01, 0.3);
    const v100 = 100 * bsmPriceRef(false, 100, 100, T, 0.04, 0.01, 0.3);
    // The 70 put is far out of the money: worth a few cents a contract; the 100 put some 300.
    expect(v70).toBeGreaterThan(1e-4);
    expect(v70).toBeLessThan(1);
    expect(v100).toBeGreaterThan(37.5);
    // Ten long 70 puts: minimum 10 x value (not 10 x 37.50 = 375); the scan risk of a long put is
    // at most its value, so the charge is the value itself.
    const ten = ok(gm.margin({ id: 'L', positions: [{ instrument: 'XYZ-P-70', quantity: 10 }] }));
    expect(Math.abs(ten.groups![0].optionMinimum - 10 * v70)).toBeLessThanOrEqual(1e-12 * 10 * v70 + 1e-15);
    expect(ten.groups![0].scanRisk).toBeLessThanOrEqual(ten.groups![0].optionMinimum);
    expect(Math.abs(ten.initialMargin - 10 * v70)).toBeLessThanOrEqual(1e-12 * 10 * v70 + 1e-15);
    // The cap is per position: two long 100 puts keep 37.50 each, the long 70 puts their value,
    // and a short option keeps the full minimum.
    const mixed = ok(gm.margin({ id: 'M', positions: [
      { instrument: 'XYZ-P-70', quantity: 10 }, { instrument: 'XYZ-P-100', quantity: 2 }] }));
    expect(Math.abs(mixed.groups![0].optionMinimum - (2 * 37.5 + 10 * v70))).toBeLessThanOrEqual(1e-10);
    const short = ok(gm.margin({ id: 'S', positions: [{ instrument: 'XYZ-P-70', quantity: -10 }] }));
    expect(short.groups![0].optionMinimum).toBe(375);
    expect(short.initialMargin).toBe(375);
    // The from-definition reference applies the same cap.
    const ref = referenceGridMargin(m, grid, [{ instrument: 'XYZ-P-70', quantity: 10 }, { instrument: 'XYZ-P-100', quantity: 2 }]);
    expect(Math.abs(ref.initialMargin - mixed.initialMargin)).toBeLessThanOrEqual(1e-10);
    // The Euler allocation of a binding minimum gives each long position its capped term.
    const alloc = createMarginModel(m, { grid, allocation: true }).margin({ id: 'L', positions: [{ instrument: 'XYZ-P-70', quantity: 10 }] });
    const share = ok(alloc).allocation!;
    expect(share).toHaveLength(1);
    expect(share[0].basis).toBe('option-minimum');
    expect(Math.abs(share[0].initialMargin - 10 * v70)).toBeLessThanOrEqual(1e-12 * 10 * v70 + 1e-15);
  });

  it('gives an empty portfolio zero margin and a portfolio of gains zero margin', () => {
    expect(ok(model.margin({ id: 'E', positions: [] })).initialMargin).toBe(0);
    // long A and short A cancel exactly
    const r = ok(model.margin({ id: 'H', positions: [{ instrument: 'A-PERP', quantity: 5 }, { instrument: 'A-PERP', quantity: -5 }] }));
    expect(r.initialMargin).toBe(0);
  });

  it('reports an unknown instrument and a bad quantity as error rows without touching the others', () => {
    const rs = model.marginAll([
      { id: 'X', positions: [{ instrument: 'A-PERP', quantity: 1 }] },
      { id: 'Y', positions: [{ instrument: 'BTC-27DEC26-X', quantity: 1 }] },
      { id: 'Z', positions: [{ instrument: 'A-PERP', quantity: Number.NaN }] },
      { id: 'W', error: 'row 9: quantity "abc" is not a finite number' },
      { id: 'X2', positions: [{ instrument: 'A-PERP', quantity: 1 }] },
    ]);
    expect(rs.map((r) => r.ok)).toEqual([true, false, false, false, true]);
    expect(rs[1]).toMatchObject({ portfolio: 'Y', message: 'unknown instrument "BTC-27DEC26-X"' });
    expect(rs[2].ok === false && rs[2].message).toMatch(/quantity NaN is not a finite number/);
    expect(rs[3]).toMatchObject({ portfolio: 'W', message: 'row 9: quantity "abc" is not a finite number' });
    expect(ok(rs[0]).initialMargin).toBe(ok(rs[4]).initialMargin);
  });
});

/** A random market with options, futures, perps and spots over a few groups, and a random grid. */
function randomMarket(rng: Rng): MarketInput {
  const nU = rng.int(1, 5);
  const underlyings: MarketInput['underlyings'] = {};
  const instruments: MarketInput['instruments'] = {};
  const groups = ['G1', 'G2'];
  const ids = Array.from({ length: nU }, (_, u) => `U${u}`);
  for (const u of ids) {
    const spot = rng.uniform(1, 50000);
    underlyings[u] = { spot, rate: rng.uniform(0, 0.06), yield: rng.uniform(0, 0.03), ...(rng.next() < 0.7 ? { group: rng.pick(groups) } : {}) };
    instruments[`${u}-S`] = { kind: 'spot', underlying: u, contractSize: rng.pick([1, 0.01]) };
    instruments[`${u}-PERP`] = { kind: 'perpetual', underlying: u, ...(rng.next() < 0.5 ? { price: spot * rng.uniform(0.99, 1.01) } : {}) };
    instruments[`${u}-F`] = { kind: 'future', underlying: u, expiry: '2027-03-26T08:00:00Z', contractSize: rng.pick([1, 50]) };
    for (let k = 0; k < 6; k++) {
      const days = rng.pick([-3, 0.5, 7, 30, 90, 400]);
      const expiry = new Date(Date.parse('2026-11-20T00:00:00Z') + days * 86400e3).toISOString();
      instruments[`${u}-O${k}`] = { kind: 'option', underlying: u, right: rng.pick(['call', 'put'] as const),
        strike: spot * rng.uniform(0.6, 1.5), expiry, vol: rng.uniform(0.1, 1.2), contractSize: rng.pick([1, 100]) };
    }
  }
  const nPoints = rng.int(1, 9);
  const points = Array.from({ length: nPoints }, () => ({
    move: rng.uniform(-0.3, 0.3),
    ...(rng.next() < 0.3 ? { cover: rng.uniform(0.2, 1) } : {}),
    ...(rng.next() < 0.3 ? { volMoves: [rng.uniform(-0.4, 0.4)] } : {}),
  }));
  const gridUnderlyings: Record<string, { moveScale?: number; moves?: number[] }> = {};
  if (rng.next() < 0.5) gridUnderlyings[ids[0]] = { moves: points.map(() => rng.uniform(-0.2, 0.2)) };
  if (nU > 1 && rng.next() < 0.5) gridUnderlyings[ids[1]] = { moveScale: rng.uniform(0.5, 2) };
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD', underlyings, instruments,
    risk: { grid: {
      points, volMoves: [-0.25, 0, 0.25].slice(0, rng.int(1, 3)), underlyings: gridUnderlyings,
      ...(rng.next() < 0.5 ? { volTerm: { refDays: 30, power: rng.uniform(0, 0.25), floorDays: 1 } } : {}),
      groups: Object.fromEntries([['G1', { offset: rng.next() }], ['G2', { offset: rng.pick([0, 1]) }]]
        .filter(([g]) => Object.values(underlyings).some((u) => u.group === g))),
      horizonDays: rng.pick([0, 1, 2]),
      shortOptionMinimum: rng.pick([0, 0.5]), longOptionMinimum: rng.pick([0, 0.1]), maintenanceRatio: rng.uniform(0.5, 1),
    } },
  };
}

describe('grid margin: engine vs the from-definition reference', () => {
  it('agrees within 1e-9 relative on thousands of random portfolios over random markets', () => {
    // Relative error measured against max(|IM|, 1e-9 * gross notional): a fully hedged book's
    // margin is a difference of large numbers and rounding of order 1e-16 of the notional.
    const rng = new Rng(424242);
    let worst = 0, count = 0;
    for (let m = 0; m < 60; m++) {
      const input = randomMarket(rng);
      const market = resolveMarket(input, `random-${m}.json`);
      const model = createGridModel(market);
      const ids = market.instruments.ids;
      for (let p = 0; p < 60; p++) {
        const positions: Position[] = Array.from({ length: rng.int(1, 12) }, () => ({
          instrument: rng.pick(ids), quantity: rng.pick([-1, 1]) * rng.uniform(0.1, 20),
        }));
        const got = ok(model.margin({ id: `P${p}`, positions }));
        const want = referenceGridMargin(market, model.spec, positions);
        const gross = positions.reduce((s, x) => {
          const i = market.instruments.index.get(x.instrument)!;
          return s + Math.abs(x.quantity) * market.instruments.contractSize[i] * market.underlyings.spot[market.instruments.underlying[i]];
        }, 0);
        const err = Math.abs(got.initialMargin - want.initialMargin) / Math.max(Math.abs(want.initialMargin), 1e-9 * gross);
        if (!(err <= 1e-9)) {
          throw new Error(`market ${m} portfolio ${p}: engine ${got.initialMargin} reference ${want.initialMargin}\n` +
            JSON.stringify({ positions, grid: input.risk!.grid }));
        }
        expect(Number.isFinite(got.maintenanceMargin)).toBe(true);
        for (const g of got.groups!) {
          const w = want.groups.get(g.group)!;
          expect(g.worstPoint === w.worstPoint || Math.abs(g.scanRisk - w.scanRisk) <= 1e-9 * Math.max(1, gross)).toBe(true);
        }
        worst = Math.max(worst, err);
        count++;
      }
    }
    expect(count).toBe(3600);
    console.log(`grid engine vs reference: ${count} portfolios, max relative difference ${worst.toExponential(2)}`);
  });
});

describe('grid margin: invariants', () => {
  const rng = new Rng(5);
  const input = randomMarket(rng);
  const market = resolveMarket(input, 'inv.json');
  const model = createGridModel(market);
  const ids = market.instruments.ids;
  const book = Array.from({ length: 40 }, () => Array.from({ length: rng.int(1, 10) }, () => ({
    instrument: rng.pick(ids), quantity: rng.uniform(-10, 10) })));

  it('scales with position size (k > 0)', () => {
    for (const positions of book) {
      const base = ok(model.margin({ id: 'a', positions })).initialMargin;
      for (const k of [0.5, 3, 1000]) {
        const scaled = ok(model.margin({ id: 'b', positions: positions.map((x) => ({ ...x, quantity: k * x.quantity })) })).initialMargin;
        expect(Math.abs(scaled - k * base)).toBeLessThanOrEqual(1e-9 * Math.max(1, k * base));
      }
    }
  });

  it('does not depend on the order of positions', () => {
    for (const positions of book) {
      const base = ok(model.margin({ id: 'a', positions })).initialMargin;
      const shuffled = [...positions].reverse();
      const again = ok(model.margin({ id: 'b', positions: shuffled })).initialMargin;
      expect(Math.abs(again - base)).toBeLessThanOrEqual(1e-12 * Math.max(1, base));
    }
  });

  it('nets a put-call-forward conversion to its rounding residual', () => {
    // Long call, short put (same strike and expiry) = a forward: e^{-rT}(F - K) whatever the vol,
    // so a short future of e^{-rT} contracts with reference price F = S e^{(r-q)T} hedges it in
    // every scenario, vol moves included (horizon 0).
    const m = resolveMarket({
      asOf: '2026-11-20T00:00:00Z', currency: 'USD',
      underlyings: { X: { spot: 1000, rate: 0.05, yield: 0.01 } },
      instruments: {
        C: { kind: 'option', underlying: 'X', right: 'call', strike: 1100, expiry: '2027-11-20T00:00:00Z', vol: 0.4 },
        P: { kind: 'option', underlying: 'X', right: 'put', strike: 1100, expiry: '2027-11-20T00:00:00Z', vol: 0.4 },
        F: { kind: 'future', underlying: 'X', expiry: '2027-11-20T00:00:00Z', contractSize: Math.exp(-0.05) },
      },
      risk: { grid: { points: [{ move: -0.15 }, { move: 0 }, { move: 0.15 }], volMoves: [-0.3, 0, 0.3] } },
    }, 'conversion.json');
    const g = createGridModel(m);
    const naked = ok(g.margin({ id: 'c', positions: [{ instrument: 'C', quantity: 1 }, { instrument: 'P', quantity: -1 }] })).initialMargin;
    const hedged = ok(g.margin({ id: 'h', positions: [{ instrument: 'C', quantity: 1 }, { instrument: 'P', quantity: -1 }, { instrument: 'F', quantity: -1 }] })).initialMargin;
    expect(naked).toBeGreaterThan(100);
    expect(hedged).toBeLessThan(1e-9 * 1000);
  });

  it('never returns NaN in an ok result', () => {
    for (const positions of book) {
      const r = ok(model.margin({ id: 'a', positions }));
      expect(Number.isFinite(r.initialMargin) && Number.isFinite(r.maintenanceMargin)).toBe(true);
    }
  });
});
