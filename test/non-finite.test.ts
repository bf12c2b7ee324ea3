// Non-finite numbers never become numbers (issue 9, item 1). The kernels report a NaN or infinite
// value with STATUS_NOT_FINITE instead of dropping it from a maximum; the market loader bounds what
// it accepts so that every value, price and P&L of a contract is finite; a cube cell that still
// overflows is a market input error naming the instrument, the scenario and the value; a portfolio
// whose own P&L overflows (a huge quantity) is an error row for that portfolio only, on every
// method (grid, es, fhs, stress, allocation), and through the batch engine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../src/wasm/module.js';
import {
  COL_CS, COL_F, COL_KIND, COL_S, COL_U, KIND_LINEAR, NCOLS, NGREEKS, STATUS_NOT_FINITE, STATUS_OK,
} from '../src/layout.js';
import { referenceCubeStatus, referenceGridReduce, referenceRevalue } from '../src/reference/cube.js';
import { resolveMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { createEsModel } from '../src/models/tail.js';
import { createMarginModel } from '../src/models/create.js';
import { buildCube } from '../src/cube/cube.js';
import { buildGridScenarios } from '../src/scenarios/grid.js';
import { valueMarket } from '../src/valuation.js';
import { createBatchEngine } from '../src/batch/engine.js';
import { isInputError } from '../src/errors.js';
import { validateStress } from '../src/market/stress-spec.js';
import { validateGrid } from '../src/market/grid-spec.js';
import type { MarketInput } from '../src/market/types.js';
import type { MarginResult } from '../src/results.js';
import { CLI } from './helpers/cli.js';

const kernels = instantiateKernels();
const arena = new Arena(kernels);
type Revalue = KernelExports['revalue'];
type Value = KernelExports['valueInstruments'];

function message(f: () => unknown): string {
  try { f(); } catch (e) { return (e as Error).message; }
  return 'no error';
}

const base = (): MarketInput => ({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 97000, rate: 0.04, vol: 0.55 } },
  instruments: {
    'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
    'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-25T08:00:00Z', vol: 0.55 },
  },
  risk: {
    grid: { points: [{ move: -0.1 }, { move: 0 }, { move: 0.1 }], volMoves: [-0.2, 0, 0.2], shortOptionMinimum: 0.375, longOptionMinimum: 0.375 },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 2000, seed: 7 },
  },
});

describe('kernels report NaN and infinite values as a status', () => {
  const run = (pnl: number[], stride: number, nRows: number, rowGroup: number[], offsets: number[], scenPoint: number[], cover: number[]) => {
    const mark = arena.mark();
    try {
      const nGroups = offsets.length, nPoints = cover.length, nScen = scenPoint.length;
      const out = arena.allocF64(2 * nGroups + nGroups * nPoints + nRows * nPoints);
      const status = kernels.gridReduce(arena.putF64(pnl), stride, nRows, arena.putI32(rowGroup), nGroups, arena.putF64(offsets),
        arena.putI32(scenPoint), nScen, arena.putF64(cover), nPoints, out);
      const twin = referenceGridReduce(Float64Array.from(pnl), stride, nRows, rowGroup, offsets, scenPoint, nScen, cover);
      expect(twin.status, 'the TypeScript twin agrees').toBe(status);
      return status;
    } finally {
      arena.release(mark);
    }
  };

  it('gridReduce: a NaN loss no longer drops out of the maximum, an all-NaN point no longer becomes 0', () => {
    // Point 0 has scenarios 0 and 1, point 1 scenario 2 (stride 4, padding 0).
    expect(run([NaN, -5, 3, 0], 4, 1, [0], [0], [0, 0, 1], [1, 1])).toBe(STATUS_NOT_FINITE);
    expect(run([NaN, NaN, 3, 0], 4, 1, [0], [0], [0, 0, 1], [1, 1])).toBe(STATUS_NOT_FINITE);
    for (const bad of [Infinity, -Infinity]) expect(run([-1, bad, 3, 0], 4, 1, [0], [0], [0, 0, 1], [1, 1])).toBe(STATUS_NOT_FINITE);
    // Finite P&L whose group sum overflows: two underlyings losing 1e308 each at point 0.
    expect(run([-1e308, 0, -1e308, 0], 2, 2, [0, 0], [0.5], [0, 1], [1, 1])).toBe(STATUS_NOT_FINITE);
    // A finite cover times a finite loss that overflows.
    expect(run([-1e308, 0], 2, 1, [0], [0], [0, 1], [10, 1])).toBe(STATUS_NOT_FINITE);
    // The same shapes with finite numbers are fine: L = 5 at point 0, -3 at point 1.
    expect(run([1, -5, 3, 0], 4, 1, [0], [0], [0, 0, 1], [1, 1])).toBe(STATUS_OK);
  });

  it('revalue (SIMD and scalar): a cell that overflows gives STATUS_NOT_FINITE after every row is written', () => {
    // Two linear instruments, the second of contract size 1e300 on a price of 1e10 (cs x F = Infinity).
    const n = 2, nScen = 3, stride = 4;
    const table = new Float64Array(NCOLS * n);
    for (let i = 0; i < n; i++) {
      table[COL_KIND * n + i] = KIND_LINEAR; table[COL_S * n + i] = 1e10; table[COL_F * n + i] = 1e10; table[COL_U * n + i] = 0;
      table[COL_CS * n + i] = i === 0 ? 1 : 1e300;
    }
    const spotMult = [0.9, 1, 1.1, 1], volShock = [0, 0, 0, 0], volWeight = [1, 1];
    for (const revalue of [kernels.revalue, kernels.revalueScalar as Revalue]) {
      const mark = arena.mark();
      try {
        const cube = arena.allocF64(n * stride);
        const status = revalue(arena.putF64(table), n, 0, n, arena.putF64(spotMult), 1, arena.putF64(volShock),
          arena.putF64(volWeight), 0, nScen, stride, cube);
        expect(status).toBe(STATUS_NOT_FINITE);
        const v = arena.f64(cube, n * stride);
        // Row 0 is written and exact; row 1 holds the non-finite cells (-Inf, NaN at m = 1, +Inf).
        expect(Math.abs(v[0] - -1e9)).toBeLessThanOrEqual(1e-6);
        expect(v[1]).toBe(0);
        expect(Math.abs(v[2] - 1e9)).toBeLessThanOrEqual(1e-6);
        expect(v[4]).toBe(-Infinity);
        expect(v[5]).toBeNaN();
        expect(v[6]).toBe(Infinity);
        // Row 0 alone is finite.
        expect(revalue(arena.putF64(table), n, 0, 1, arena.putF64(spotMult), 1, arena.putF64(volShock),
          arena.putF64(volWeight), 0, nScen, stride, cube)).toBe(STATUS_OK);
      } finally {
        arena.release(mark);
      }
    }
    const twin = referenceRevalue(table, n, Float64Array.from(spotMult), Float64Array.from(volShock), Float64Array.from(volWeight), 0, nScen, stride);
    expect(referenceCubeStatus(twin)).toBe(STATUS_NOT_FINITE);
  });

  it('valueInstruments (SIMD and scalar): a value that overflows gives STATUS_NOT_FINITE', () => {
    const n = 1;
    const table = new Float64Array(NCOLS * n);
    table[COL_KIND] = 0; table[COL_S] = 1e10; table[COL_CS] = 1e300;
    for (const value of [kernels.valueInstruments, kernels.valueInstrumentsScalar as Value]) {
      const mark = arena.mark();
      try {
        const out = arena.allocF64(NGREEKS * n);
        expect(value(arena.putF64(table), n, out)).toBe(STATUS_NOT_FINITE);
        expect(arena.f64(out, NGREEKS)[0]).toBe(Infinity);
        table[COL_CS] = 2;
        expect(value(arena.putF64(table), n, out)).toBe(STATUS_OK);
        expect(arena.f64(out, NGREEKS)[0]).toBe(2e10);
        table[COL_CS] = 1e300;
      } finally {
        arena.release(mark);
      }
    }
  });
});

describe('the market bounds what it accepts, naming the field, the value and the bound', () => {
  it('rejects the triggers of the issue: expiry 9999 with rate 0.10, rate 8000, contract size 1e300 x spot 1e10, vol 1e155', () => {
    const far = base();
    far.underlyings.BTC.rate = 0.1;
    (far.instruments['BTC-C'] as { expiry: string }).expiry = '9999-12-31T00:00:00Z';
    expect(message(() => resolveMarket(far, 'm.json'))).toBe(
      'm.json: instruments.BTC-C.expiry: expected an expiry within 100 years of asOf, got "9999-12-31T00:00:00Z" (7978.41 years after asOf)');

    const rate = base();
    rate.underlyings.BTC.rate = 8000;
    expect(message(() => resolveMarket(rate, 'm.json'))).toBe(
      'm.json: underlyings.BTC.rate: expected a number from -1 to 1 (a decimal rate a year, continuously compounded: 0.04 is 4 %), got 8000');

    const big = base();
    big.underlyings.BTC.spot = 1e10;
    big.instruments['BTC-PERP'].contractSize = 1e300;
    expect(message(() => resolveMarket(big, 'm.json'))).toBe(
      'm.json: instruments.BTC-PERP.contractSize: expected a number > 0 and <= 1e+15, got 1e+300');
    big.instruments['BTC-PERP'].contractSize = 1e6;
    expect(message(() => resolveMarket(big, 'm.json'))).toBe(
      'm.json: instruments.BTC-PERP.contractSize: contractSize 1000000 times the spot of "BTC" 10000000000 is 1e+16 a contract; expected at most 1e+15');

    const vol = base();
    (vol.instruments['BTC-C'] as { vol: number }).vol = 1e155;
    expect(message(() => resolveMarket(vol, 'm.json'))).toBe(
      'm.json: instruments.BTC-C.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got 1e+155');
  });

  it('rejects a derived future price that overflows the bound, and a shocked vol above 100', () => {
    const m = base();
    m.underlyings.BTC.rate = 1;
    m.instruments['BTC-F'] = { kind: 'future', underlying: 'BTC', expiry: '2120-11-20T00:00:00Z' };
    expect(message(() => resolveMarket(m, 'm.json'))).toMatch(
      /^m\.json: instruments\.BTC-F\.contractSize: contractSize 1 times the derived price S e\^\(\(rate - yield\) T\) \d\.\d+e\+45 is \d\.\d+e\+45 a contract; expected at most 1e\+15$/);

    const v = resolveMarket(base(), 'm.json');
    const grid = validateGrid({ points: [{ move: 0 }], volMoves: [1000] }, 'grid.json', '', v);
    expect(message(() => createGridModel(v, { grid }))).toBe(
      'm.json: instruments.BTC-C: a scenario\'s vol move takes its vol from 0.55 to 550.55; a shocked vol must stay <= 100 (10000 % a year)');
  });

  it('a short BTC-PERP plus a 9999-expiry option no longer margins 0.375: the market is rejected before any margin', () => {
    const m = base();
    m.underlyings.BTC.rate = 0.1;
    (m.instruments['BTC-C'] as { expiry: string }).expiry = '9999-12-31T00:00:00Z';
    let err: unknown;
    try { resolveMarket(m, 'm.json'); } catch (e) { err = e; }
    expect(isInputError(err)).toBe(true);
  });
});

describe('a non-finite cube cell is a market input error naming the instrument, the scenario and the value', () => {
  it('buildCube names the first bad cell (a table edited past the loader\'s bounds)', () => {
    const market = resolveMarket(base(), 'm.json');
    const n = market.instruments.ids.length;
    market.table[COL_CS * n + market.instruments.index.get('BTC-PERP')!] = 1e305; // cs x F = 9.7e309: Infinity
    const scen = buildGridScenarios(market, market.risk.grid!);
    let err: unknown;
    try { buildCube(new Arena(instantiateKernels()), market, scen); } catch (e) { err = e; }
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toBe('m.json: instruments.BTC-PERP: the P&L of one contract in scenario 0 (grid point 0, vol move -0.2) '
      + 'is -Infinity: its numbers (spot, strike, price, contract size, rate, vol or the scenario\'s moves) overflow a float64');
  });

  it('valueMarket never returns NaN or Infinity: it names the instrument and the number', () => {
    const market = resolveMarket(base(), 'm.json');
    const n = market.instruments.ids.length;
    market.table[COL_CS * n + market.instruments.index.get('BTC-C')!] = Infinity;
    expect(message(() => valueMarket(market))).toMatch(/^m\.json: instruments\.BTC-C: its value is (Infinity|NaN): /);
    const ok = valueMarket(resolveMarket(base(), 'm.json'));
    for (const v of ok) for (const x of [v.value, v.delta, v.gamma, v.vega, v.theta]) expect(Number.isFinite(x)).toBe(true);
  });
});

describe('a portfolio whose P&L overflows is an error row for that portfolio only', () => {
  const market = resolveMarket(base(), 'm.json');
  // 1e306 contracts x 9,700 (a 10 % move of 97,000) = 9.7e309: Infinity.
  const huge = { id: 'HUGE', positions: [{ instrument: 'BTC-PERP', quantity: -1e306 }, { instrument: 'BTC-C', quantity: 1 }] };
  const fine = { id: 'FINE', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] };
  // Short 2 BTC-PERP at 97,000: the worst loss is at +10 %, 2 x 9,700 = 19,400.
  const FINE_GRID = 19400;

  const expectSplit = (rs: MarginResult[], fineMargin?: number) => {
    expect(rs).toHaveLength(2);
    const [a, b] = rs;
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(a.portfolio).toBe('HUGE');
      expect(a.code).toBe('E_PORTFOLIO');
      expect(a.message).toMatch(/not finite/);
    }
    expect(b.ok, JSON.stringify(b)).toBe(true);
    if (b.ok && fineMargin !== undefined) expect(Math.abs(b.initialMargin - fineMargin)).toBeLessThanOrEqual(1e-9 * fineMargin);
  };

  it('grid', () => {
    const rs = createGridModel(market).marginAll([huge, fine]);
    expectSplit(rs, FINE_GRID);
    expect(!rs[0].ok && rs[0].message).toBe("the portfolio's P&L is not finite (NaN or infinite) in some scenario: "
      + "a quantity times a contract's P&L overflows a float64 (a quantity too large?)");
  });

  it('grid with a quantity that overflows only in the group sum (1e306 contracts: each loss finite, the sum not)', () => {
    const m = resolveMarket({ ...base(), underlyings: { A: { spot: 100, group: 'G' }, B: { spot: 100, group: 'G' } },
      instruments: { A: { kind: 'spot', underlying: 'A' }, B: { kind: 'spot', underlying: 'B' } },
      risk: { grid: { points: [{ move: -0.5 }], volMoves: [0] } } }, 'm.json');
    const rs = createGridModel(m).marginAll([
      { id: 'HUGE', positions: [{ instrument: 'A', quantity: 1.2e307 }, { instrument: 'B', quantity: 1.2e307 }] },
      { id: 'FINE', positions: [{ instrument: 'A', quantity: 1 }] }]);
    expectSplit(rs, 50);
  });

  it('es', () => {
    expectSplit(createEsModel(market).marginAll([huge, fine]));
  });

  it('grid and es with stress scenarios and with allocation', () => {
    const stress = validateStress({ scenarios: [{ name: 'up', spot: { BTC: 0.2 } }] }, 'stress.json', '', market);
    for (const method of ['grid', 'es'] as const) {
      expectSplit(createMarginModel(market, { method, stress }).marginAll([huge, fine]), undefined);
      expectSplit(createMarginModel(market, { method, allocation: true }).marginAll([huge, fine]), method === 'grid' ? FINE_GRID : undefined);
    }
  });

  it('the batch engine (grid and es, two threads): an error row for that portfolio, the others margined', async () => {
    for (const method of ['grid', 'es'] as const) {
      const engine = await createBatchEngine({ market, method, threads: 2 });
      try {
        const rs = await engine.marginAll([huge, fine]);
        expect(rs[0].ok).toBe(false);
        expect(!rs[0].ok && rs[0].message).toMatch(/not finite/);
        expect(rs[1].ok).toBe(true);
        if (method === 'grid' && rs[1].ok) expect(Math.abs(rs[1].initialMargin - FINE_GRID)).toBeLessThanOrEqual(1e-9 * FINE_GRID);
      } finally {
        await engine.close();
      }
    }
  });

  it('the CLI: run exits 0 with one error row and no NaN or Infinity anywhere; value on an unbounded market exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-nonfinite-'));
    const marketPath = join(dir, 'market.json');
    writeFileSync(marketPath, JSON.stringify(base()));
    const book = join(dir, 'book.csv');
    writeFileSync(book, 'portfolio,instrument,quantity\nHUGE,BTC-PERP,-1e306\nHUGE,BTC-C,1\nFINE,BTC-PERP,-2\n');
    for (const threads of ['1', '2']) {
      const r = spawnSync(process.execPath, [CLI, 'run', '--market', marketPath, '--portfolios', book, '--threads', threads], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const rows = r.stdout.trim().split('\n');
      expect(rows).toHaveLength(3);
      expect(rows[1]).toMatch(/^HUGE,grid,,,error,/);
      expect(rows[2]).toMatch(/^FINE,grid,19400(\.0+\d*)?,19400(\.0+\d*)?,ok,/);
      for (const row of rows) for (const f of row.split(',')) expect(['NaN', 'Infinity', '-Infinity']).not.toContain(f);
    }
    const bad = base();
    bad.underlyings.BTC.rate = 0.1;
    (bad.instruments['BTC-C'] as { expiry: string }).expiry = '9999-12-31T00:00:00Z';
    writeFileSync(marketPath, JSON.stringify(bad));
    const v = spawnSync(process.execPath, [CLI, 'value', '--market', marketPath], { encoding: 'utf8' });
    expect(v.status).toBe(2);
    expect(v.stdout).toBe('');
    expect(v.stderr).toMatch(/instruments\.BTC-C\.expiry: expected an expiry within 100 years of asOf/);
  });
});
