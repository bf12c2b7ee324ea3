// Surfaces in the market snapshot (docs/surfaces.md): an option without its own vol takes its
// underlying's surface vol at its strike and expiry (moneyness against the forward S e^((r-q)T)),
// and then prices exactly as the same option given that vol.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { surfaceVol } from '../src/surface/surface.js';
import { createGridModel } from '../src/models/grid.js';
import { ok } from './helpers/results.js';

const surface = {
  axis: 'moneyness', expiries: ['2026-12-20T00:00:00Z', '2027-06-20T00:00:00Z'],
  points: [0.8, 1, 1.2], vols: [[0.7, 0.5, 0.6], [0.65, 0.55, 0.6]],
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const market = (vol?: number): any => ({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 100, rate: 0.04, yield: 0.01, surface } },
  instruments: {
    C: { kind: 'option', underlying: 'BTC', right: 'call', strike: 110, expiry: '2027-03-25T00:00:00Z', ...(vol === undefined ? {} : { vol }) },
    F: { kind: 'perpetual', underlying: 'BTC' },
  },
  risk: { grid: { points: [{ move: -0.1 }, { move: 0 }, { move: 0.1 }], volMoves: [-0.2, 0, 0.3] } },
});

describe('surfaces in the snapshot', () => {
  it('an option without vol reads the surface at K / F_T; it margins as the option given that vol, bit for bit', () => {
    const m = resolveMarket(market(), 'm.json');
    const i = m.instruments.index.get('C')!;
    const T = m.instruments.T[i];
    const want = surfaceVol(m.underlyings.surface![0]!, 110, T, 100 * Math.exp((0.04 - 0.01) * T));
    expect(m.instruments.vol[i]).toBe(want);
    expect(m.instruments.volFromSurface![i]).toBe(1);
    const explicit = resolveMarket(market(want), 'm.json');
    expect(explicit.instruments.volFromSurface).toBeUndefined();
    const p = { id: 'p', positions: [{ instrument: 'C', quantity: -3 }, { instrument: 'F', quantity: 1 }] };
    expect(ok(createGridModel(m).margin(p)).initialMargin).toBe(ok(createGridModel(explicit).margin(p)).initialMargin);
  });

  it('an option with its own vol keeps it; a bad surface is an input error naming the underlying', () => {
    const m = resolveMarket(market(0.42), 'm.json');
    expect(m.instruments.vol[0]).toBe(0.42);
    const bad = market();
    bad.underlyings.BTC.surface = { ...surface, vols: [[0.7, 0.5, 0.6], [0.65, 0.1, 0.6]] };
    expect(() => resolveMarket(bad, 'm.json')).toThrow(/underlyings\.BTC\.surface\.vols\[1\]\[1\]: surface of "BTC": calendar arbitrage/);
  });
});
