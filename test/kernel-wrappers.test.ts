// The typed kernel wrappers of src/kernels/: each owns its arena regions (grown on demand, views
// made again when the memory grows), gives the same numbers as the kernel called directly and the
// plain-TypeScript twins, and turns a status into a KernelError or a typed outcome.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import { packageFile } from '../src/paths.js';
import { parseMarket } from '../src/market/load.js';
import { buildGridScenarios } from '../src/scenarios/grid.js';
import { buildCube, cubeView, cubeByInstrument } from '../src/cube/cube.js';
import { KernelError } from '../src/kernels/error.js';
import { F64Region, I32Region } from '../src/kernels/region.js';
import { ValuationKernel, valueTable } from '../src/kernels/valuation.js';
import { TablePricer, ScalarPricers, black76Table, americanTable } from '../src/kernels/pricing.js';
import { SurfaceKernel, surfaceVolsWasm } from '../src/kernels/surface.js';
import { RngKernel, ShockKernel, TailKernel as EsTailKernel, generateShocksArray, philoxBlockWasm, sampleStreams, tailOfArray } from '../src/kernels/es.js';
import { TailKernel } from '../src/kernels/es-tail.js';
import { VmathKernel } from '../src/kernels/vmath.js';
import { RevalueKernel, type RevalueArgs } from '../src/kernels/revalue.js';
import { AggregateKernel } from '../src/kernels/aggregate.js';
import { GridReduceKernel } from '../src/kernels/grid-reduce.js';
import { validateSurface, surfaceVol } from '../src/surface/surface.js';
import { referenceValue } from '../src/reference/valuation.js';
import { referenceAggregate, referenceGridReduce } from '../src/reference/cube.js';
import { esTailRef } from '../src/reference/tail.js';
import { philox4x32 } from '../src/reference/rng.js';
import { black76PriceRef } from '../src/reference/black76.js';
import {
  COL_CS, COL_F, COL_K, COL_KIND, COL_R, COL_T, COL_VOL, KIND_CALL, KIND_PUT, KIND_SPOT, NCOLS, NGREEKS,
  PRICE_BAD_INPUT, PRICE_OK, RNG_NORMAL, RNG_UNIFORM, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, VMATH_EXP, VMATH_SCALAR,
} from '../src/layout.js';
import { Rng } from './helpers/random.js';

const market = parseMarket(readFileSync(packageFile('examples', 'market.json'), 'utf8'), 'examples/market.json');
const nInstr = market.instruments.ids.length;

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('regions', () => {
  it('are allocated once, grown on demand, and their views follow the memory when it grows', () => {
    const arena = new Arena(instantiateKernels());
    const r = new F64Region(arena, 4);
    const first = r.ptr;
    r.put([1, 2, 3]);
    expect(r.ensure(4)).toBe(first);
    const before = arena.memory.buffer.byteLength;
    arena.allocF64(before / 8 + 1024); // grows the memory: old views are stale
    expect(arena.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(r.f64(3))).toEqual([1, 2, 3]);
    expect(r.f64(4).buffer).toBe(arena.memory.buffer);
    r.ensure(5);
    expect(r.ptr).not.toBe(first);
    expect(r.capacity).toBe(8);
    const q = new I32Region(arena);
    q.put([7, -1]);
    expect(Array.from(q.i32(2))).toEqual([7, -1]);
  });
});

describe('ValuationKernel', () => {
  it('values the example market as valueTable and the twin, SIMD and scalar, reusing its regions', () => {
    const arena = new Arena(instantiateKernels());
    const v = new ValuationKernel(arena);
    const s = new ValuationKernel(arena, { scalar: true });
    const a = v.value(market.table, nInstr);
    const used = arena.used;
    const b = v.value(market.table, nInstr);
    expect(arena.used).toBe(used); // the second call allocates nothing
    expect(a.notFinite).toBe(false);
    expect(sameBits(a.values, b.values)).toBe(true);
    expect(sameBits(a.values, valueTable(new Arena(instantiateKernels()), market.table, nInstr))).toBe(true);
    const scalar = s.value(market.table, nInstr).values;
    const twin = referenceValue(market.table, nInstr);
    // Per column, relative to the column's largest value (as the benchmark checks).
    for (let c = 0; c < NGREEKS; c++) {
      let big = 0, worst = 0;
      for (let i = 0; i < nInstr; i++) big = Math.max(big, Math.abs(twin[c * nInstr + i]));
      for (let i = 0; i < nInstr; i++) {
        const j = c * nInstr + i;
        worst = Math.max(worst, Math.abs(scalar[j] - a.values[j]), Math.abs(twin[j] - a.values[j]));
      }
      expect(worst / Math.max(big, 1), `column ${c}`).toBeLessThanOrEqual(1e-9);
    }
  });

  it('returns STATUS_NOT_FINITE as an outcome, a bad kind or a short table as a KernelError', () => {
    const arena = new Arena(instantiateKernels());
    const v = new ValuationKernel(arena);
    const t = new Float64Array(NCOLS);
    t[COL_KIND] = KIND_SPOT; t[COL_CS] = Number.MAX_VALUE; t[1] = Number.MAX_VALUE; // spot value overflows
    expect(v.value(t, 1).notFinite).toBe(true);
    expect(v.run(arena.putF64(t), 1, arena.allocF64(NGREEKS))).toBe(STATUS_NOT_FINITE);
    t[COL_KIND] = 7;
    expect(() => v.value(t, 1)).toThrow(KernelError);
    expect(() => v.value(t, 1)).toThrow(/valueInstruments kernel returned status 1/);
    expect(() => v.value(t, 2)).toThrow(expect.objectContaining({ code: 'E_INTERNAL', name: 'KernelError' }));
  });
});

function optionTable(rows: { call: boolean; F: number; K: number; T: number; r: number; vol: number }[]): Float64Array {
  const n = rows.length, t = new Float64Array(NCOLS * n);
  rows.forEach((o, i) => {
    t[COL_KIND * n + i] = o.call ? KIND_CALL : KIND_PUT;
    t[1 * n + i] = o.F; t[COL_F * n + i] = o.F; t[COL_K * n + i] = o.K; t[COL_T * n + i] = o.T;
    t[COL_R * n + i] = o.r; t[COL_VOL * n + i] = o.vol; t[COL_CS * n + i] = 1;
  });
  return t;
}

describe('pricing wrappers', () => {
  it('TablePricer gives black76Table and americanTable\'s numbers; row statuses are data', () => {
    const arena = new Arena(instantiateKernels());
    const rows = [
      { call: true, F: 100, K: 90, T: 0.5, r: 0.03, vol: 0.4 },
      { call: false, F: 100, K: 110, T: 1, r: 0.01, vol: 0.2 },
      { call: true, F: NaN, K: 100, T: 1, r: 0, vol: 0.3 },
    ];
    const t = optionTable(rows);
    const b = new TablePricer(arena, 'black76Instruments');
    const got = b.price(t, 3);
    expect(Array.from(got.rowStatus)).toEqual([PRICE_OK, PRICE_OK, PRICE_BAD_INPUT]);
    expect(sameBits(got.values, black76Table(arena, t, 3).values)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const o = rows[i];
      expect(got.values[i]).toBeCloseTo(black76PriceRef(o.call, o.F, o.K, o.T, o.r, o.vol), 10);
    }
    const am = new TablePricer(arena, 'americanInstruments').price(t, 3);
    expect(am.values.length).toBe(3);
    expect(sameBits(am.values, americanTable(arena, t, 3).values)).toBe(true);
    const bad = optionTable(rows.slice(0, 1));
    bad[COL_KIND] = KIND_SPOT;
    expect(() => b.price(bad, 1)).toThrow(KernelError);
    expect(() => b.price(bad, 2)).toThrow(/cannot hold 2 instruments/);
  });

  it('ScalarPricers are the module\'s scalar functions', () => {
    const arena = new Arena(instantiateKernels());
    const p = new ScalarPricers(arena);
    expect(p.black76Price(1, 100, 90, 0.5, 0.03, 0.4)).toBeCloseTo(black76PriceRef(true, 100, 90, 0.5, 0.03, 0.4), 10);
    expect(p.normCdf(0)).toBe(0.5);
    expect(p.bsmPriceScalar(1, 100, 100, 1, 0, 0, 0.2)).toBeCloseTo(p.bsmPriceLane(1, 100, 100, 1, 0, 0, 0.2), 12);
    expect(p.bivariateNormal(Infinity, 1, 0.5)).toBe(p.normCdf(1));
  });
});

describe('SurfaceKernel', () => {
  const AS_OF = '2026-01-01T00:00:00Z';
  const s = validateSurface({
    axis: 'moneyness', expiries: ['2026-03-15T00:00:00Z', '2026-05-27T00:00:00Z'],
    points: [0.8, 1.0, 1.25], vols: [[0.6, 0.5, 0.55], [0.55, 0.45, 0.5]],
  }, 'BTC', AS_OF);

  it('reads the same doubles as surfaceVol; a bad lookup is data (NaN and badLookup), reusing its regions', () => {
    const arena = new Arena(instantiateKernels());
    const k = new SurfaceKernel(arena);
    const rng = new Rng(7);
    const K = Array.from({ length: 200 }, () => rng.uniform(50, 150)), T = K.map(() => rng.uniform(0.01, 1)), F = K.map(() => 100);
    const a = k.lookup(s, K, T, F);
    expect(a.badLookup).toBe(false);
    K.forEach((x, i) => expect(Object.is(a.vols[i], surfaceVol(s, x, T[i], F[i]))).toBe(true));
    expect(sameBits(a.vols, surfaceVolsWasm(arena, s, K, T, F))).toBe(true);
    const used = arena.used;
    const b = k.lookup(s, [100, 0], [0.3, 0.3], [100, 100]);
    expect(arena.used).toBe(used);
    expect(b.badLookup).toBe(true);
    expect(Number.isNaN(b.vols[1])).toBe(true);
    expect(() => k.lookup(s, [1, 2], [1], [1, 2])).toThrow(KernelError);
    expect(k.ln([1, Math.E]).length).toBe(2);
    expect(k.ln([1])[0]).toBe(0);
  });
});

describe('expected-shortfall wrappers', () => {
  it('ShockKernel and RngKernel give generateShocksArray, sampleStreams and philoxBlockWasm\'s numbers', () => {
    const arena = new Arena(instantiateKernels());
    const p = { seed: 42, nScen: 101, chol: [1, 0, 0.5, Math.sqrt(0.75)], scale: [0.1, 0.2], distribution: 'student-t' as const, degreesOfFreedom: 5 };
    const sk = new ShockKernel(arena);
    const s = sk.generate(p);
    expect(s.stride).toBe(102);
    const want = generateShocksArray(new Arena(instantiateKernels()), p).values;
    expect(sameBits(sk.view(s), want)).toBe(true);
    expect(() => sk.generate({ ...p, degreesOfFreedom: 2 })).toThrow(RangeError);
    const rk = new RngKernel(arena);
    expect(sameBits(rk.sample(9, 3, 50, RNG_NORMAL, 4), sampleStreams(arena, 9, 3, 50, RNG_NORMAL, 4))).toBe(true);
    expect(rk.sample(9, 0, 10, RNG_UNIFORM, 1).every((u) => u > 0 && u < 1)).toBe(true);
    expect(() => rk.sample(9, 0, 10, 7, 1)).toThrow(RangeError);
    const ctr = [1, 2, 3, 4] as const, key = [5, 6] as const;
    expect(rk.philox(ctr, key)).toEqual(philoxBlockWasm(arena, ctr, key));
    expect(rk.philox(ctr, key)).toEqual(philox4x32(ctr, key));
  });

  it('TailKernel: VaR and ES as the twin, the tail scenarios, STATUS_NOT_FINITE as an outcome', () => {
    expect(TailKernel).toBe(EsTailKernel);
    const arena = new Arena(instantiateKernels());
    const t = new TailKernel(arena);
    const rng = new Rng(3);
    const losses = Float64Array.from({ length: 1000 }, () => rng.uniform(-10, 10));
    const ref = esTailRef(losses, 0.975);
    const ptr = arena.putF64(losses);
    const r = t.tail(ptr, losses.length, 0.975);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.var, r.k, r.m]).toEqual([ref.var, ref.k, ref.m]);
    expect(Math.abs(r.es - ref.es)).toBeLessThan(1e-12 * Math.abs(ref.es));
    expect(tailOfArray(arena, losses, 0.975)).toEqual({ var: r.var, es: r.es, k: r.k, m: r.m });
    const p2 = arena.putF64(losses);
    const w = t.withIndex(p2, losses.length, 0.975);
    expect(w.ok && w.var).toBe(ref.var);
    const idx = Array.from(t.indices(ref.m));
    expect(idx.map((i) => losses[i]).sort((a, b) => b - a)).toEqual([...losses].sort((a, b) => b - a).slice(0, ref.m));
    const bad = arena.putF64([1, NaN, 3]);
    expect(t.tail(bad, 3, 0.5)).toEqual({ ok: false, status: STATUS_NOT_FINITE });
    expect(() => t.tail(bad, 3, 1)).toThrow(RangeError);
  });
});

describe('VmathKernel', () => {
  it('maps exp, vector and scalar; refuses a bad operation code', () => {
    const arena = new Arena(instantiateKernels());
    const v = new VmathKernel(arena);
    const xs = [0, 1, -2.5, 10];
    const vec = v.map(VMATH_EXP, xs), sc = v.map(VMATH_EXP + VMATH_SCALAR, xs);
    xs.forEach((x, i) => {
      expect(sc[i]).toBe(Math.exp(x));
      expect(Math.abs(vec[i] - Math.exp(x))).toBeLessThanOrEqual(2 * Number.EPSILON * Math.exp(x));
    });
    expect(() => v.map(99, xs)).toThrow(new KernelError('vmathMap', STATUS_BAD_ARGUMENT).message);
  });
});

describe('the cube kernels\' wrappers', () => {
  const grid = buildGridScenarios(market, market.risk.grid!);

  function cubeArgs(arena: Arena, cube: number): RevalueArgs {
    return {
      table: arena.putF64(market.table), nInstruments: nInstr, spotMult: arena.putF64(grid.spotMult),
      nUnderlyings: grid.nUnderlyings, volShock: arena.putF64(grid.volShock), volWeight: arena.putF64(grid.volWeight),
      horizonYears: grid.horizonYears, nScen: grid.nScen, stride: grid.stride, cube,
    };
  }

  it('RevalueKernel builds buildCube\'s cube bit for bit, in any split of the rows; the scalar kernel within 1e-9', () => {
    const arena = new Arena(instantiateKernels());
    // buildCube's cube is blocked by underlying: compared in instrument order.
    const want = cubeByInstrument(buildCube(arena, market, grid));
    const cube = arena.allocF64(nInstr * grid.stride);
    const a = cubeArgs(arena, cube);
    const k = new RevalueKernel(arena);
    expect(k.rows(a, 300, nInstr - 300)).toBe(true);
    expect(k.rows(a, 0, 300)).toBe(true);
    expect(sameBits(arena.f64(cube, nInstr * grid.stride), want)).toBe(true);
    const sc = new RevalueKernel(arena.kernels, { scalar: true });
    expect(sc.rows(a, 0, nInstr)).toBe(true);
    const got = arena.f64(cube, nInstr * grid.stride);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    expect(worst).toBeLessThanOrEqual(1e-9);
    expect(() => k.rows(a, 1, nInstr)).toThrow(new KernelError('revalue', STATUS_BAD_ARGUMENT).message);
  });

  it('AggregateKernel and GridReduceKernel give the twins\' numbers', () => {
    const arena = new Arena(instantiateKernels());
    const cube = buildCube(arena, market, grid);
    const cubeArr = cubeView(cube).slice();
    const rng = new Rng(11);
    const agg = new AggregateKernel(arena);
    const gr = new GridReduceKernel(arena);
    const scenPoint = Array.from({ length: grid.stride }, (_, s) => (s < grid.nScen ? s : grid.nScen - 1));
    const cover = Array.from({ length: grid.nScen }, () => rng.pick([1, 0.35]));
    gr.setGrid(scenPoint.slice(0, grid.nScen), cover);
    for (let trial = 0; trial < 20; trial++) {
      const nPos = rng.int(1, 12), nRows = rng.int(1, 3);
      const instr = Array.from({ length: nPos }, () => rng.int(0, nInstr - 1));
      const qty = instr.map(() => rng.uniform(-5, 5));
      const row = instr.map(() => rng.int(0, nRows - 1));
      const pnl = agg.aggregate(cube.ptr, grid.stride, grid.nScen, instr, qty, row, nRows);
      const want = referenceAggregate(cubeArr, grid.stride, instr, qty, row, nRows);
      for (let i = 0; i < want.length; i++) expect(Math.abs(pnl[i] - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i])));
      const pnlPtr = arena.putF64(pnl);
      const rowGroup = Array.from({ length: nRows }, () => 0);
      const r = gr.reduce(pnlPtr, grid.stride, rowGroup, [0.5]);
      const ref = referenceGridReduce(arena.f64(pnlPtr, nRows * grid.stride), grid.stride, nRows, rowGroup, [0.5], scenPoint, grid.nScen, cover);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.requirement[0]).toBeCloseTo(ref.R[0], 6);
      expect(r.worst[0]).toBe(ref.worst[0]);
      expect(r.loss.length).toBe(nRows * grid.nScen);
    }
    const nan = arena.putF64(new Float64Array(grid.stride).fill(NaN));
    expect(gr.reduce(nan, grid.stride, [0], [0])).toEqual({ ok: false, status: STATUS_NOT_FINITE });
    expect(() => agg.aggregate(cube.ptr, grid.stride, grid.nScen, [0], [1], [1], 1)).toThrow(KernelError);
  });
});
