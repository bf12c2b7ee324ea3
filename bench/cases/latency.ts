/**
 * In-process grid margin latency: one portfolio of 1, 10 or 100 positions against the example
 * market's grid cube, built beforehand. p50 and p99 of per-call times (hrtime around each call,
 * after a warm-up), against the same work in plain TypeScript over the same cube.
 */
import { createGridModel, type GridModel } from '../../src/models/grid.js';
import { cubeByInstrument } from '../../src/cube/cube.js';
import { referenceAggregate, referenceGridReduce } from '../../src/reference/cube.js';
import { resolvePositions, type Position } from '../../src/portfolio/resolve.js';
import { KIND_CALL, KIND_PUT } from '../../src/layout.js';
import { bsmPriceRef } from '../../src/reference/valuation.js';
import { exampleMarket, randomPortfolios } from '../data.js';
import { CheckError, sampleLatency, type Row, type Settings } from '../harness.js';

const GROUP = 'grid margin latency, in-process (1 portfolio, built cube)';
export const TS_GRID = 'TS twin over the same cube';
export const ENGINE = 'GridModel.margin (full result)';

const longMinimums = new WeakMap<GridModel, Float64Array>();

/**
 * Per contract, a long option's minimum capped at its market value (FINRA Rule 4210(g)), priced
 * once per model by the TypeScript twin of the valuation (as the grid model prices it once).
 */
function longMinimumPerContract(model: GridModel): Float64Array {
  let t = longMinimums.get(model);
  if (t) return t;
  const m = model.market, ins = m.instruments, und = m.underlyings;
  t = new Float64Array(ins.ids.length);
  for (let i = 0; i < t.length; i++) {
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    const u = ins.underlying[i], cs = ins.contractSize[i];
    const value = cs * bsmPriceRef(ins.kind[i] === KIND_CALL, und.spot[u], ins.strike[i], ins.T[i], und.rate[u], und.yield[u], ins.vol[i]);
    t[i] = Math.min(model.spec.longOptionMinimum * cs, Math.max(0, value));
  }
  longMinimums.set(model, t);
  return t;
}

/** Grid initial margin of resolved positions from the cube, with the twins of aggregate and gridReduce. */
export function tsGridMargin(model: GridModel, cube: Float64Array, positions: readonly Position[]): number {
  const m = model.market, ins = m.instruments, und = m.underlyings, sc = model.scenarios;
  const res = resolvePositions(m, positions);
  if (typeof res === 'string') throw new Error(res);
  const { instr, qty } = res;
  const rowOf = new Map<number, number>(), slotOf = new Map<number, number>();
  const rowGroup: number[] = [], posRow: number[] = [];
  for (let p = 0; p < instr.length; p++) {
    const u = ins.underlying[instr[p]];
    if (!rowOf.has(u)) {
      rowOf.set(u, rowOf.size);
      const g = und.group[u];
      if (!slotOf.has(g)) slotOf.set(g, slotOf.size);
      rowGroup.push(slotOf.get(g)!);
    }
    posRow.push(rowOf.get(u)!);
  }
  const offsets = [...slotOf.keys()].map((g) => model.spec.groups.get(m.groups.ids[g])?.offset ?? 0);
  const pnl = referenceAggregate(cube, sc.stride, instr, qty, posRow, rowOf.size);
  const red = referenceGridReduce(pnl, sc.stride, rowOf.size, rowGroup, offsets, sc.point, sc.nScen, sc.cover);
  const shortU = new Float64Array(slotOf.size), longM = new Float64Array(slotOf.size);
  for (let p = 0; p < instr.length; p++) {
    const i = instr[p];
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    const g = rowGroup[posRow[p]], cs = ins.contractSize[i], units = qty[p] * cs;
    if (units < 0) { shortU[g] -= units; continue; }
    longM[g] += qty[p] * longMinimumPerContract(model)[i];
  }
  let total = 0;
  for (let g = 0; g < slotOf.size; g++) {
    total += Math.max(red.R[g], model.spec.shortOptionMinimum * shortU[g] + longM[g]);
  }
  return (model.spec.marginMultiplier ?? 1) * total;
}

/** The model's lean entry point on resolved positions, when it has one (numbers only, nothing allocated). */
type Lean = (instr: Int32Array, qty: Float64Array) => number;
function leanPath(model: GridModel): Lean | undefined {
  const m = model as unknown as {
    marginResolved?: (instr: ArrayLike<number>, qty: ArrayLike<number>, from: number, to: number, out: { initialMargin: number }) => string | undefined;
    newBreakdown?: () => { initialMargin: number };
  };
  if (typeof m.marginResolved !== 'function' || typeof m.newBreakdown !== 'function') return undefined;
  const out = m.newBreakdown.call(model);
  const f = m.marginResolved;
  return (instr, qty) => {
    const err = f.call(model, instr, qty, 0, instr.length, out);
    if (err !== undefined) throw new Error(err);
    return out.initialMargin;
  };
}

export function latencyCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const market = exampleMarket();
  const model = createGridModel(market);
  const lean = leanPath(model);
  for (const size of [1, 10, 100]) {
    const label = `${size} position${size > 1 ? 's' : ''}`;
    const ports = randomPortfolios(market, size, 256, 31 + size);
    try {
      // Check once: every portfolio's margin equals the TypeScript computation within 1e-9.
      const cube = cubeByInstrument(model.cube);
      for (const p of ports) {
        const r = model.margin(p);
        if (!r.ok) throw new CheckError(`${p.id}: ${r.message}`);
        const want = tsGridMargin(model, cube, p.positions);
        if (!(Math.abs(r.initialMargin - want) <= 1e-9 * Math.max(1, Math.abs(want)))) {
          throw new CheckError(`${p.id}: engine ${r.initialMargin}, TypeScript ${want}`);
        }
        if (lean) {
          const res = resolvePositions(market, p.positions);
          if (typeof res === 'string') throw new CheckError(res);
          const x = lean(res.instr, res.qty);
          if (x !== r.initialMargin) throw new CheckError(`${p.id}: marginResolved ${x}, margin() ${r.initialMargin}`);
        }
      }
      const k = ports.length;
      const push = (impl: string, baselines: string[] | undefined, fn: (i: number) => unknown, samples: number): void => {
        const l = sampleLatency(fn, s.latencyWarmup, samples);
        rows.push({ group: GROUP, case: 'margin', size: label, impl, unit: 'us', value: l.p50, p50us: l.p50, p99us: l.p99,
          meanUs: l.mean, samples: l.samples, baselines, status: 'ok' });
        log(`  ${impl} ${label}: p50 ${l.p50.toFixed(2)} us, p99 ${l.p99.toFixed(2)} us`);
      };
      push(TS_GRID, undefined, (i) => tsGridMargin(model, cube, ports[i % k].positions), Math.min(s.latencySamples, 20_000));
      push(ENGINE, [TS_GRID], (i) => model.margin(ports[i % k]), s.latencySamples);
      if (lean) {
        // Positions resolved to instrument indices beforehand (outside the timed loop), as a caller
        // that keeps its positions resolved would: the policy and the kernels only.
        const resolved = ports.map((p) => resolvePositions(market, p.positions) as { instr: Int32Array; qty: Float64Array });
        push('GridModel.marginResolved (resolved positions, numbers)', [TS_GRID, ENGINE],
          (i) => lean(resolved[i % k].instr, resolved[i % k].qty), s.latencySamples);
      }
    } catch (e) {
      rows.push({ group: GROUP, case: 'margin', size: label, impl: 'check', unit: 'us', value: null, status: 'error', note: String(e) });
      log(`  ${label}: ${String(e)}`);
    }
  }
}
