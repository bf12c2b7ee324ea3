// Vol dynamics (docs/methods.md §5.7): sticky-moneyness scenarios read a surface-priced option's vol
// from its underlying's surface at its moneyness after the spot move; grid vol moves may carry a
// skew and a minimum vol, stress vol moves an absolute part and a skew. Checked against:
// - the plain-TypeScript twin (src/reference/vol-dynamics.ts) on random surfaces and books, within
//   1e-9 relative to the size of the prices a cell is the difference of (as test/cube.test.ts);
// - sticky strike bit for bit where they must agree (no spot move; no surface-priced option;
//   dynamics that change nothing), and today's cube bit for bit without dynamics;
// - vols and margins worked from the formula by hand (bsmPriceRef), within 1e-12 relative;
// - the reference grid margin (src/reference/grid-margin.ts);
// and for determinism across thread counts, the error naming a cell whose vol leaves (0, 100], and
// the validation messages.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { validateGrid } from '../src/market/grid-spec.js';
import { validateStress } from '../src/market/stress-spec.js';
import { buildGridScenarios } from '../src/scenarios/grid.js';
import { buildStressScenarios } from '../src/scenarios/stress.js';
import { buildCube, cubeByInstrument } from '../src/cube/cube.js';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels } from '../src/wasm/module.js';
import { referenceDynamicCube, shockedVolRef } from '../src/reference/vol-dynamics.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { createGridModel } from '../src/models/grid.js';
import { createStressTest } from '../src/models/stress.js';
import { createBatchEngine } from '../src/batch/engine.js';
import { surfaceVol } from '../src/surface/surface.js';
import { KIND_CALL } from '../src/layout.js';
import type { ResolvedMarket } from '../src/market/types.js';
import type { ScenarioSet } from '../src/scenarios/types.js';
import { Rng } from './helpers/random.js';
import { inputErrorMessage, ok } from './helpers/results.js';

const TOL = 1e-9;
const AS_OF = Date.parse('2026-11-20T00:00:00Z');
const iso = (days: number) => new Date(AS_OF + Math.round(days * 86400) * 1000).toISOString().replace('.000Z', 'Z');

/** A random surface without calendar arbitrage: total variance grows with the expiry at every point. */
function randomSurface(rng: Rng, axis: 'moneyness' | 'strike', spot: number) {
  const nE = rng.int(1, 4), nP = rng.int(1, 6);
  const days: number[] = [];
  let d = rng.uniform(3, 40);
  for (let e = 0; e < nE; e++) { days.push(Math.round(d)); d += rng.uniform(20, 200); }
  const pts: number[] = [];
  let x = rng.uniform(0.6, 0.9);
  for (let p = 0; p < nP; p++) { pts.push(Number((axis === 'moneyness' ? x : x * spot).toPrecision(8))); x += rng.uniform(0.05, 0.3); }
  const w = Array.from({ length: nP }, () => 0);
  const vols = days.map((dd) => {
    const T = Math.round(dd * 86400) / (365 * 86400);
    return pts.map((_, p) => {
      w[p] += rng.uniform(0.002, 0.08);
      return Number(Math.sqrt(w[p] / T).toPrecision(6)) + 0.001; // rounded up: still increasing
    });
  });
  // Re-check increasing total variance after rounding (add to later rows where needed).
  for (let p = 0; p < nP; p++) {
    for (let e = 1; e < nE; e++) {
      const T0 = Math.round(days[e - 1] * 86400) / (365 * 86400), T1 = Math.round(days[e] * 86400) / (365 * 86400);
      if (vols[e][p] ** 2 * T1 <= vols[e - 1][p] ** 2 * T0) vols[e][p] = Number((vols[e - 1][p] * Math.sqrt(T0 / T1) * 1.01 + 0.001).toPrecision(6));
    }
  }
  return { axis, expiries: days.map(iso), points: pts, vols };
}

/** A random market: 1-3 underlyings with surfaces, options with and without their own vol, perpetuals. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function randomMarket(rng: Rng): any {
  const nU = rng.int(1, 3);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const underlyings: Record<string, any> = {}, instruments: Record<string, any> = {};
  for (let u = 0; u < nU; u++) {
    const id = `U${u}`, spot = Number(rng.uniform(5, 50000).toPrecision(6));
    underlyings[id] = { spot, rate: Number(rng.uniform(-0.01, 0.06).toFixed(4)), yield: Number(rng.uniform(0, 0.04).toFixed(4)) };
    if (rng.uniform(0, 1) < 0.85) underlyings[id].surface = randomSurface(rng, rng.pick(['moneyness', 'strike'] as const), spot);
    instruments[`${id}-PERP`] = { kind: 'perpetual', underlying: id };
    const nO = rng.int(1, 8);
    for (let k = 0; k < nO; k++) {
      const o: Record<string, unknown> = {
        kind: 'option', underlying: id, right: rng.pick(['call', 'put']),
        strike: Number((spot * rng.uniform(0.5, 1.7)).toPrecision(6)), expiry: iso(rng.uniform(1, 500)),
      };
      if (!underlyings[id].surface || rng.uniform(0, 1) < 0.25) o.vol = Number(rng.uniform(0.1, 1.2).toFixed(4));
      instruments[`${id}-O${k}`] = o;
    }
  }
  return { asOf: iso(0), currency: 'USD', underlyings, instruments };
}

function randomGrid(rng: Rng, dynamics: 'sticky-strike' | 'sticky-moneyness') {
  const nP = rng.int(1, 7);
  const points = Array.from({ length: nP }, () => ({ move: Number(rng.uniform(-0.4, 0.4).toFixed(3)) }));
  points.push({ move: 0 });
  const volMoves = Array.from({ length: rng.int(1, 4) }, () => {
    const move = Number(rng.uniform(-0.3, 0.6).toFixed(3));
    const r = rng.uniform(0, 1);
    if (r < 0.3) return move;
    return { move, skew: Number(rng.uniform(-0.15, 0.15).toFixed(3)), ...(r < 0.6 ? { min: Number(rng.uniform(0, 0.5).toFixed(3)) } : {}) };
  });
  return {
    points, volMoves, volDynamics: dynamics,
    ...(rng.uniform(0, 1) < 0.5 ? { volTerm: { refDays: 30, power: 0.3 } } : {}),
    horizonDays: rng.pick([0, 1, 2]),
  };
}

/** The cube the kernels build (instrument order), each in its own instance. */
function kernelCube(market: ResolvedMarket, scen: ScenarioSet): Float64Array {
  return cubeByInstrument(buildCube(new Arena(instantiateKernels()), market, scen));
}

/** cs (|V(S m, vol')| + |V(S, vol)|) per option cell (the scale a cell's rounding is measured on). */
function priceScale(market: ResolvedMarket, scen: ScenarioSet): Float64Array {
  const ins = market.instruments, und = market.underlyings, n = ins.ids.length, out = new Float64Array(n * scen.stride);
  for (let i = 0; i < n; i++) {
    if (ins.kind[i] < KIND_CALL) continue;
    const u = ins.underlying[i], S = und.spot[u], call = ins.kind[i] === KIND_CALL;
    const v0 = bsmPriceRef(call, S, ins.strike[i], ins.T[i], und.rate[u], und.yield[u], ins.vol[i]);
    for (let s = 0; s < scen.nScen; s++) {
      const v1 = bsmPriceRef(call, S * scen.spotMult[u * scen.stride + s], ins.strike[i], ins.T[i] - scen.horizonYears,
        und.rate[u], und.yield[u], shockedVolRef(market, scen, i, s));
      out[i * scen.stride + s] = ins.contractSize[i] * (Math.abs(v0) + Math.abs(v1));
    }
  }
  return out;
}

function same(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
}

describe('vol dynamics in the cube (kernel vs twin)', () => {
  it('sticky-moneyness and shaped vol moves match the twin on 150 random surfaces and books', () => {
    const rng = new Rng(20261204);
    let worst = 0, cells = 0, stickyCells = 0, withDynamics = 0;
    for (let trial = 0; trial < 150; trial++) {
      const json = randomMarket(rng);
      const market = resolveMarket(json, 'm.json');
      const dyn = trial % 3 === 0 ? 'sticky-strike' : 'sticky-moneyness';
      const spec = validateGrid(randomGrid(rng, dyn), 'g.json', '', market);
      let scen: ScenarioSet;
      try {
        scen = buildGridScenarios(market, spec);
      } catch (e) {
        throw new Error(`trial ${trial}: ${(e as Error).message}`);
      }
      // Sticky strike with plain relative moves only is today's path (no dynamics); tested elsewhere.
      if (!scen.dynamics) continue;
      withDynamics++;
      let got: Float64Array;
      try {
        got = kernelCube(market, scen);
      } catch (e) {
        // A random minimum or skew may push a vol out of (0, 100]: then the twin must agree the cell is bad.
        const msg = (e as Error).message;
        expect(msg, `trial ${trial}`).toMatch(/the vol moves take its vol from .* a shocked vol must be > 0 and <= 100/);
        continue;
      }
      const want = referenceDynamicCube(market, scen), scale = priceScale(market, scen);
      const ins = market.instruments;
      for (let i = 0; i < ins.ids.length; i++) {
        for (let s = 0; s < scen.nScen; s++) {
          const c = i * scen.stride + s;
          const err = Math.abs(got[c] - want[c]) / Math.max(Math.abs(want[c]), scale[c], 1e-300);
          if (!(err <= TOL)) throw new Error(`trial ${trial}: ${ins.ids[i]} scenario ${s}: got ${got[c]} want ${want[c]} (scale ${scale[c]})`);
          worst = Math.max(worst, err);
          cells++;
          if (dyn === 'sticky-moneyness' && ins.volFromSurface?.[i] === 1) stickyCells++;
        }
      }
    }
    expect(withDynamics).toBeGreaterThan(120);
    expect(cells).toBeGreaterThan(5000);
    expect(stickyCells).toBeGreaterThan(2000);
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it('at zero spot move sticky-moneyness equals sticky-strike bit for bit; elsewhere it differs for surface-priced options', () => {
    const rng = new Rng(7);
    let zeroCells = 0, moved = 0;
    for (let trial = 0; trial < 40; trial++) {
      const json = randomMarket(rng);
      const market = resolveMarket(json, 'm.json');
      const g = randomGrid(rng, 'sticky-moneyness');
      g.volMoves = g.volMoves.map((v) => (typeof v === 'number' ? v : v.move)); // relative moves only
      const sm = buildGridScenarios(market, validateGrid(g, 'g.json', '', market));
      const ss = buildGridScenarios(market, validateGrid({ ...g, volDynamics: 'sticky-strike' }, 'g.json', '', market));
      expect(ss.dynamics).toBeUndefined(); // plain relative moves, sticky strike: today's path
      const a = kernelCube(market, sm), b = kernelCube(market, ss);
      const ins = market.instruments;
      for (let i = 0; i < ins.ids.length; i++) {
        const u = ins.underlying[i];
        for (let s = 0; s < sm.nScen; s++) {
          const c = i * sm.stride + s;
          if (sm.spotMult[u * sm.stride + s] === 1) {
            expect(Object.is(a[c], b[c]), `trial ${trial} ${ins.ids[i]} scenario ${s}`).toBe(true);
            zeroCells++;
          } else if (ins.volFromSurface?.[i] !== 1) {
            expect(Object.is(a[c], b[c]), `trial ${trial} ${ins.ids[i]} scenario ${s}: not surface-priced`).toBe(true);
          } else if (a[c] !== b[c]) moved++;
        }
      }
    }
    expect(zeroCells).toBeGreaterThan(100);
    expect(moved).toBeGreaterThan(100);
  });

  it('dynamics that change nothing give today\'s cube bit for bit (the example market, its own grid)', async () => {
    const { readFileSync } = await import('node:fs');
    const { packageFile } = await import('../src/paths.js');
    const json = JSON.parse(readFileSync(packageFile('examples/market.json'), 'utf8'));
    // Every option given its own vol: sticky-moneyness has nothing to read from a surface.
    const market0 = resolveMarket(json, 'market.json');
    for (const [id, o] of Object.entries(json.instruments) as [string, { kind: string; vol?: number }][]) {
      if (o.kind === 'option' && o.vol === undefined) o.vol = market0.instruments.vol[market0.instruments.index.get(id)!];
    }
    const market = resolveMarket(json, 'market.json');
    const plain = buildGridScenarios(market, validateGrid(json.risk.grid, 'market.json', 'risk.grid', market));
    const sticky = buildGridScenarios(market, validateGrid({ ...json.risk.grid, volDynamics: 'sticky-moneyness' }, 'market.json', 'risk.grid', market));
    const zeros = buildGridScenarios(market, validateGrid({
      ...json.risk.grid, volMoves: json.risk.grid.volMoves.map((m: number) => ({ move: m, skew: 0, min: 0 })),
    }, 'market.json', 'risk.grid', market));
    expect(plain.dynamics).toBeUndefined();
    expect(sticky.dynamics).toBeDefined();
    expect(zeros.dynamics).toBeUndefined(); // skew 0 and min 0: plain moves
    const want = kernelCube(market, plain);
    expect(same(kernelCube(market, sticky), want)).toBe(true);
    // A minimum that never binds takes the dynamics path and still gives today's cells.
    const floored = buildGridScenarios(market, validateGrid({
      ...json.risk.grid, volMoves: json.risk.grid.volMoves.map((m: number) => ({ move: m, min: 0.001 })),
    }, 'market.json', 'risk.grid', market));
    expect(floored.dynamics).toBeDefined();
    expect(same(kernelCube(market, floored), want)).toBe(true);
  });
});

// One call on a moneyness surface, worked by hand.
const surface = {
  axis: 'moneyness', expiries: ['2026-12-20T00:00:00Z', '2027-06-20T00:00:00Z'],
  points: [0.8, 1, 1.2], vols: [[0.7, 0.5, 0.6], [0.65, 0.55, 0.6]],
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const oneOption = (grid: any, stress?: any): any => ({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 100, rate: 0.04, yield: 0.01, surface }, ETH: { spot: 10, rate: 0.03 } },
  instruments: {
    C: { kind: 'option', underlying: 'BTC', right: 'call', strike: 110, expiry: '2027-03-25T00:00:00Z' },
    P: { kind: 'option', underlying: 'BTC', right: 'put', strike: 90, expiry: '2027-03-25T00:00:00Z', vol: 0.6 },
    E: { kind: 'option', underlying: 'ETH', right: 'put', strike: 9, expiry: '2026-12-25T00:00:00Z', vol: 0.8 },
  },
  risk: { grid, ...(stress ? { stress } : {}) },
});

describe('vol dynamics worked by hand', () => {
  const close = (got: number, want: number, tol = 1e-12) => expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-300)).toBeLessThanOrEqual(tol);

  it('grid { move, skew, min }: vol\' = max(vol (1 + m w) + s w ln(K / F), v); the margin equals the reference grid margin', () => {
    const grid = {
      points: [{ move: -0.1 }, { move: 0 }, { move: 0.1 }],
      volMoves: [{ move: -0.3, min: 0.5 }, 0, { move: 0.2, skew: -0.25 }],
      volTerm: { refDays: 30, power: 0.5 },
    };
    const market = resolveMarket(oneOption(grid), 'm.json');
    const spec = market.risk.grid!;
    const scen = buildGridScenarios(market, spec);
    const ins = market.instruments, i = ins.index.get('C')!;
    const T = ins.T[i], w = Math.sqrt(30 / (365 * T)), F = 100 * Math.exp(0.03 * T), vol = ins.vol[i];
    expect(scen.volWeight[i]).toBe(w);
    for (let j = 0; j < 3; j++) {
      close(shockedVolRef(market, scen, i, 3 * j), Math.max(vol * (1 - 0.3 * w), 0.5));
      close(shockedVolRef(market, scen, i, 3 * j + 1), vol);
      close(shockedVolRef(market, scen, i, 3 * j + 2), vol * (1 + 0.2 * w) - 0.25 * w * Math.log(110 / F));
    }
    expect(vol * (1 - 0.3 * w)).toBeLessThan(0.5); // the minimum binds
    // The cube's cells of C, by hand.
    const cube = kernelCube(market, scen);
    const v0 = bsmPriceRef(true, 100, 110, T, 0.04, 0.01, vol);
    const mult = [0.9, 0.9, 0.9, 1, 1, 1, 1.1, 1.1, 1.1];
    const vols = [0.5, vol, vol * (1 + 0.2 * w) - 0.25 * w * Math.log(110 / F)];
    for (let s = 0; s < 9; s++) {
      const want = bsmPriceRef(true, 100 * mult[s], 110, T, 0.04, 0.01, s % 3 === 0 ? Math.max(vol * (1 - 0.3 * w), 0.5) : vols[s % 3]) - v0;
      expect(Math.abs(cube[i * scen.stride + s] - want)).toBeLessThanOrEqual(1e-12 * 100);
    }
    const positions = [{ instrument: 'C', quantity: -2 }, { instrument: 'P', quantity: 3 }, { instrument: 'E', quantity: -5 }];
    const got = ok(createGridModel(market).margin({ id: 'p', positions })).initialMargin;
    const ref = referenceGridMargin(market, spec, positions).initialMargin;
    close(got, ref, 1e-9);
    expect(got).toBeGreaterThan(0);
  });

  it('sticky-moneyness reads the surface at K / (F m): the hand lookup, and the reference grid margin', () => {
    const grid = { points: [{ move: -0.2 }, { move: 0 }, { move: 0.25 }], volMoves: [0, 0.3], volDynamics: 'sticky-moneyness' };
    const market = resolveMarket(oneOption(grid), 'm.json');
    const scen = buildGridScenarios(market, market.risk.grid!);
    const ins = market.instruments, i = ins.index.get('C')!, p = ins.index.get('P')!;
    const T = ins.T[i], F = 100 * Math.exp(0.03 * T);
    const sf = market.underlyings.surface![0]!;
    // After a 25 % rise the call's moneyness is 110 / (1.25 F): the surface there, then the vol move.
    close(shockedVolRef(market, scen, i, 4), surfaceVol(sf, 110, T, 1.25 * F), 1e-15);
    close(shockedVolRef(market, scen, i, 5), surfaceVol(sf, 110, T, 1.25 * F) * 1.3, 1e-15);
    close(shockedVolRef(market, scen, i, 0), surfaceVol(sf, 110, T, 0.8 * F), 1e-15);
    expect(shockedVolRef(market, scen, i, 2)).toBe(ins.vol[i]); // no move: today's vol
    // The put has its own vol: sticky strike whatever the dynamics.
    expect(shockedVolRef(market, scen, p, 4)).toBe(0.6);
    expect(surfaceVol(sf, 110, T, 1.25 * F)).not.toBe(ins.vol[i]);
    const positions = [{ instrument: 'C', quantity: 4 }, { instrument: 'P', quantity: -1 }];
    const got = ok(createGridModel(market).margin({ id: 'p', positions })).initialMargin;
    close(got, referenceGridMargin(market, market.risk.grid!, positions).initialMargin, 1e-9);
    const ss = resolveMarket(oneOption({ ...grid, volDynamics: 'sticky-strike' }), 'm.json');
    expect(ok(createGridModel(ss).margin({ id: 'p', positions })).initialMargin).not.toBe(got);
  });

  it('stress vol moves: relative, absolute and skew, vol\' = vol (1 + move) + absolute + skew ln(K / F)', () => {
    const stress = {
      scenarios: [
        { name: 'Vol up', vol: { BTC: { absolute: 0.1 } } },
        { name: 'Skew', spot: { BTC: -0.1 }, vol: { BTC: { move: 0.2, skew: -0.3 }, ETH: 0.5 } },
        { name: 'Plain', vol: { BTC: 0.25 } },
      ],
    };
    const market = resolveMarket(oneOption({ points: [{ move: 0 }] }, stress), 'm.json');
    const spec = market.risk.stress!;
    expect(spec.scenarios[0].volAbsolute?.get('BTC')).toBe(0.1);
    const scen = buildStressScenarios(market, spec);
    expect(scen.dynamics).toBeDefined();
    const ins = market.instruments, i = ins.index.get('C')!, e = ins.index.get('E')!;
    const T = ins.T[i], F = 100 * Math.exp(0.03 * T), vol = ins.vol[i];
    const v1 = [vol + 0.1, vol * 1.2 - 0.3 * Math.log(110 / F), vol * 1.25];
    v1.forEach((v, s) => close(shockedVolRef(market, scen, i, s), v));
    close(shockedVolRef(market, scen, e, 1), 0.8 * 1.5);
    expect(shockedVolRef(market, scen, e, 0)).toBe(0.8);
    const test = createStressTest(market, spec);
    const L = test.losses([i], [-2]);
    const v0 = bsmPriceRef(true, 100, 110, T, 0.04, 0.01, vol);
    const mult = [1, 0.9, 1];
    for (let s = 0; s < 3; s++) close(L[s], 2 * (bsmPriceRef(true, 100 * mult[s], 110, T, 0.04, 0.01, v1[s]) - v0), 1e-10);
    // The plain scenario is today's path (relative move only) bit for bit.
    const plain = createStressTest(market, validateStress({ scenarios: [stress.scenarios[2]] }, 's.json', '', market));
    expect(Object.is(plain.losses([i], [-2])[0], L[2])).toBe(true);
  });

  it('a vol driven to 0 or below is an input error naming the instrument, the scenario and the vol', () => {
    const msg = inputErrorMessage(() => createGridModel(resolveMarket(oneOption({
      points: [{ move: 0 }], volMoves: [{ move: -0.5, skew: 5 }],
    }), 'm.json')));
    expect(msg).toMatch(/^m\.json: instruments\.(C|P): in scenario 0 \(grid point 0, vol move -0\.5\) the vol moves take its vol from [0-9.]+ to -?[0-9.]+; a shocked vol must be > 0 and <= 100/);
    const s = inputErrorMessage(() => createStressTest(resolveMarket(oneOption({ points: [{ move: 0 }] }), 'm.json'),
      validateStress({ scenarios: [{ name: 'Crush', vol: { ETH: { absolute: -0.9 } } }] }, 's.json', '')));
    expect(s).toMatch(/instruments\.E: in stress scenario "Crush" the vol moves take its vol from 0\.8 to -0\.1/);
  });

  it('validation names the field', () => {
    const m = resolveMarket(oneOption({ points: [{ move: 0 }] }), 'm.json');
    const bad = (g: unknown) => inputErrorMessage(() => validateGrid(g, 'g.json', '', m));
    expect(bad({ points: [{ move: 0 }], volDynamics: 'sticky-delta' })).toBe('g.json: volDynamics: expected "sticky-strike" or "sticky-moneyness", got "sticky-delta"');
    expect(bad({ points: [{ move: 0 }], volMoves: [{ skew: 0.1 }] })).toMatch(/^g\.json: volMoves\[0\]\.move: /);
    expect(bad({ points: [{ move: 0 }], volMoves: [{ move: 0.1, min: -0.1 }] })).toMatch(/^g\.json: volMoves\[0\]\.min: expected a number >= 0/);
    expect(bad({ points: [{ move: 0, volMoves: [{ move: 0.1, floor: 0.2 }] }] })).toMatch(/^g\.json: points\[0\]\.volMoves\[0\]\.floor: unknown field for a vol move/);
    expect(bad({ points: [{ move: 0 }], volMoves: [{ move: -1 }] })).toMatch(/^g\.json: volMoves\[0\]\.move: expected a number > -1/);
    const badS = (s: unknown) => inputErrorMessage(() => validateStress(s, 's.json', '', m));
    expect(badS({ scenarios: [{ name: 'A', vol: { BTC: { relative: 0.1 } } }] })).toMatch(/^s\.json: scenarios\[0\]\.vol\.BTC\.relative: unknown field for a vol move/);
    expect(badS({ scenarios: [{ name: 'A', vol: { BTC: { absolute: 'x' } } }] })).toMatch(/^s\.json: scenarios\[0\]\.vol\.BTC\.absolute: expected a finite number/);
    expect(badS({ scenarios: [{ name: 'A', vol: { BTC: 0.1 } }], volDynamics: 1 })).toBe('s.json: volDynamics: expected "sticky-strike" or "sticky-moneyness", got 1');
  });
});

describe('vol dynamics across threads', () => {
  it('the batch engine gives the same results on 1 and 2 threads, and the in-process ones', async () => {
    const rng = new Rng(99);
    const json = randomMarket(rng);
    json.risk = {
      grid: { ...randomGrid(rng, 'sticky-moneyness'), volMoves: [{ move: -0.2, min: 0.2 }, 0, { move: 0.3, skew: -0.1 }] },
      stress: { volDynamics: 'sticky-moneyness', scenarios: Object.keys(json.underlyings).map((u, k) => ({
        name: `S${k}`, spot: { [u]: k % 2 ? 0.15 : -0.15 }, vol: { [u]: { move: 0.1, absolute: 0.02, skew: -0.05 } } })) },
    };
    const market = resolveMarket(json, 'm.json');
    const ids = market.instruments.ids;
    const portfolios = Array.from({ length: 300 }, (_, k) => ({
      id: `p${k}`, positions: Array.from({ length: rng.int(1, 5) }, () => ({ instrument: rng.pick(ids), quantity: rng.int(-10, 10) || 1 })),
    }));
    const { createMarginModel } = await import('../src/models/create.js');
    const inProcess = createMarginModel(market, { method: 'grid' }).marginAll(portfolios);
    const out: number[][] = [], losses: number[][][] = [];
    for (const threads of [1, 2]) {
      const engine = await createBatchEngine({ market, threads });
      try {
        const r = await engine.marginAll(portfolios);
        out.push(r.map((x) => ok(x).initialMargin));
        losses.push(r.map((x) => ok(x).stress!.losses.map((l) => l.loss)));
      } finally {
        await engine.close();
      }
    }
    const want = inProcess.map((x) => ok(x).initialMargin);
    const wantLosses = inProcess.map((x) => ok(x).stress!.losses.map((l) => l.loss));
    expect(losses[0]).toEqual(wantLosses);
    expect(losses[1]).toEqual(wantLosses);
    expect(wantLosses.flat().some((x) => x !== 0)).toBe(true);
    expect(out[0]).toEqual(want);
    expect(out[1]).toEqual(want);
    expect(want.some((x) => x > 0)).toBe(true);
  });
});

describe('vol dynamics in the margin book', () => {
  it('sticky-moneyness: after spot and vol events the book equals a from-scratch run on its snapshot', async () => {
    const { resolveAccountMarket } = await import('../src/accounts/market.js');
    const { resolveAccounts } = await import('../src/accounts/parse.js');
    const { marginAccounts } = await import('../src/accounts/margin.js');
    const { MarginBook } = await import('../src/book/book.js');
    const { parseEvent } = await import('../src/book/events.js');
    const market = oneOption({
      points: [{ move: -0.15 }, { move: -0.05 }, { move: 0 }, { move: 0.05 }, { move: 0.15 }],
      volMoves: [{ move: -0.3, min: 0.3 }, 0, { move: 0.4, skew: -0.1 }], volDynamics: 'sticky-moneyness',
    });
    market.instruments.D = { kind: 'option', underlying: 'BTC', right: 'put', strike: 95, expiry: '2026-12-28T00:00:00Z' };
    market.instruments.PERP = { kind: 'perpetual', underlying: 'BTC' };
    const accounts = {
      assets: { USD: { haircut: 0 } },
      accounts: [
        { account: 'A', mode: 'portfolio', numeraire: 'USD', collateral: { USD: 500 }, positions: [
          { instrument: 'C', quantity: -3 }, { instrument: 'D', quantity: 5 }, { instrument: 'PERP', quantity: 1, price: 100 }] },
        { account: 'B', mode: 'cross', numeraire: 'USD', collateral: { USD: 200 }, positions: [
          { instrument: 'D', quantity: -4 }, { instrument: 'P', quantity: 2 }, { instrument: 'E', quantity: 3 }] },
      ],
    };
    const am = resolveAccountMarket(market, 'market.json');
    const book = new MarginBook(am, resolveAccounts(accounts, 'accounts.json', am.market), { method: 'grid' });
    const fresh = () => {
      const snap = JSON.parse(JSON.stringify(book.snapshotMarket()));
      const m2 = resolveAccountMarket(snap, 'snapshot.json');
      return { snap, results: marginAccounts(m2, resolveAccounts(JSON.parse(JSON.stringify(book.snapshotAccounts())), 'a.json', m2.market), { method: 'grid' }) };
    };
    const events = [
      { type: 'price', underlying: 'BTC', spot: 93 }, { type: 'price', underlying: 'BTC', spot: 108.5 },
      { type: 'price', underlying: 'ETH', spot: 11 }, { type: 'vol', instrument: 'D', vol: 0.7 }, { type: 'price', underlying: 'BTC', spot: 101 },
    ];
    let vOfC = book.snapshotMarket().instruments.C.vol;
    expect(vOfC).toBeUndefined(); // still priced off the surface
    for (const ev of events) {
      book.apply(parseEvent(ev, 'events'));
      const { snap, results } = fresh();
      const live = book.marginAll();
      results.forEach((f, k) => {
        if (!f.ok || !live[k].ok) throw new Error(`not ok after ${JSON.stringify(ev)}`);
        for (const [a, b] of [[live[k].initialMargin, f.initialMargin], [live[k].equity, f.equity], [live[k].optionValue, f.optionValue]]) {
          expect(Math.abs(a - b), `${JSON.stringify(ev)}: ${f.account}: book ${a}, from scratch ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
        }
      });
      vOfC = snap.instruments.C.vol;
      expect(vOfC).toBeUndefined();
      if (ev.type === 'vol') expect(snap.instruments.D.vol).toBe(0.7); // a vol of its own from then on
    }
    expect(book.marginAll()[0].ok && book.marginAll()[0].initialMargin).toBeGreaterThan(0);
  });
});

describe('vol dynamics through the JSON Schema and the command line', () => {
  const stress = {
    scenarios: [{ name: 'Up', spot: { BTC: 0.2 }, vol: { BTC: { absolute: 0.05, skew: -0.2 } } }, { name: 'Down', spot: { BTC: -0.2 }, vol: { ETH: 0.3 } }],
    volDynamics: 'sticky-moneyness', floor: true,
  };
  const grid = {
    points: [{ move: -0.15 }, { move: 0 }, { move: 0.15 }],
    volMoves: [{ move: -0.3, min: 0.4 }, 0, { move: 0.5, skew: -0.2 }], volDynamics: 'sticky-moneyness',
  };

  it('the schema accepts the new fields and refuses what the loader refuses', async () => {
    const { readFileSync } = await import('node:fs');
    const { packageFile } = await import('../src/paths.js');
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
    const valid = ajv.compile(JSON.parse(readFileSync(packageFile('schema', 'market.schema.json'), 'utf8')));
    const m = oneOption(grid, stress);
    expect(valid(m), JSON.stringify(valid.errors)).toBe(true);
    expect(() => resolveMarket(m, 'm.json')).not.toThrow();
    for (const edit of [
      (x: typeof m) => { x.risk.grid.volDynamics = 'sticky-delta'; },
      (x: typeof m) => { x.risk.grid.volMoves = [{ skew: 0.1 }]; },
      (x: typeof m) => { x.risk.grid.volMoves = [{ move: 0.1, min: -1 }]; },
      (x: typeof m) => { x.risk.stress.scenarios[0].vol.BTC = { relative: 0.1 }; },
      (x: typeof m) => { x.risk.stress.volDynamics = 'sticky'; },
    ]) {
      const bad = structuredClone(m);
      edit(bad);
      expect(valid(bad), JSON.stringify(bad.risk)).toBe(false);
      expect(() => resolveMarket(bad, 'm.json'), JSON.stringify(bad.risk)).toThrow();
    }
  });

  it('run --grid FILE --stress FILE gives the API\'s margins and stress losses', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { CLI } = await import('./helpers/cli.js');
    const { createMarginModel } = await import('../src/models/create.js');
    const dir = mkdtempSync(join(tmpdir(), 'margin-voldyn-'));
    try {
      const m = oneOption({ points: [{ move: 0 }] });
      writeFileSync(join(dir, 'market.json'), JSON.stringify(m));
      writeFileSync(join(dir, 'grid.json'), JSON.stringify(grid));
      writeFileSync(join(dir, 'stress.json'), JSON.stringify(stress));
      writeFileSync(join(dir, 'p.csv'), 'portfolio,instrument,quantity\nA,C,-3\nA,P,2\nB,E,-5\nB,C,1\n');
      const r = spawnSync(process.execPath, [CLI, 'run', '--market', 'market.json', '--portfolios', 'p.csv', '--grid', 'grid.json',
        '--stress', 'stress.json', '--format', 'ndjson'], { encoding: 'utf8', cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const market = resolveMarket({ ...m, risk: { grid, stress } }, 'market.json');
      const model = createMarginModel(market, { method: 'grid' });
      const want = [{ id: 'A', positions: [{ instrument: 'C', quantity: -3 }, { instrument: 'P', quantity: 2 }] },
        { id: 'B', positions: [{ instrument: 'E', quantity: -5 }, { instrument: 'C', quantity: 1 }] }].map((p) => ok(model.margin(p)));
      expect(rows.map((x) => x.portfolio)).toEqual(['A', 'B']);
      rows.forEach((row, k) => {
        expect(row.initial_margin).toBe(want[k].initialMargin);
        expect(row.stress.losses.map((x: { loss: number }) => x.loss)).toEqual(want[k].stress!.losses.map((x) => x.loss));
      });
      expect(rows[0].stress.losses[0].loss).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
