/**
 * Expected shortfall per portfolio: one portfolio of 1, 10 or 100 positions against the example
 * market's Monte Carlo cube (10,000 scenarios, built beforehand): aggregation of the loss vector
 * and the linear-time tail selection, p50/p99 per call, against plain TypeScript over the same
 * cube (aggregate twin and a full sort).
 */
import { createEsModel } from '../../src/models/tail.js';
import { cubeByInstrument } from '../../src/cube/cube.js';
import { referenceAggregate } from '../../src/reference/cube.js';
import { esTailRef } from '../../src/reference/tail.js';
import { resolvePositions, type Position } from '../../src/portfolio/resolve.js';
import type { ResolvedMarket } from '../../src/market/types.js';
import { exampleMarket, randomPortfolios } from '../data.js';
import { CheckError, sampleLatency, type Row, type Settings } from '../harness.js';

const GROUP = 'ES per portfolio, in-process (10k scenarios, built cube)';
const TS = 'TS twin over the same cube (full sort)';

function tsEs(market: ResolvedMarket, cube: Float64Array, stride: number, nScen: number, confidence: number, positions: readonly Position[]): number {
  const res = resolvePositions(market, positions);
  if (typeof res === 'string') throw new Error(res);
  const neg = res.qty.map((q) => -q);
  const losses = referenceAggregate(cube, stride, res.instr, neg, new Int32Array(res.instr.length), 1).subarray(0, nScen);
  return esTailRef(losses, confidence).es;
}

export function esCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const market = exampleMarket();
  const t0 = performance.now();
  const model = createEsModel(market);
  const sc = model.scenarios;
  log(`  ES model: ${market.instruments.ids.length} x ${sc.nScen} cube built in ${(performance.now() - t0).toFixed(0)} ms`);
  const size0 = `${sc.nScen} scen`;
  for (const size of [1, 10, 100]) {
    const label = `${size} position${size > 1 ? 's' : ''}, ${size0}`;
    const ports = randomPortfolios(market, size, 64, 77 + size);
    try {
      const cube = cubeByInstrument(model.cube);
      for (const p of ports.slice(0, 16)) {
        const r = model.margin(p);
        if (!r.ok) throw new CheckError(`${p.id}: ${r.message}`);
        const want = tsEs(market, cube, sc.stride, sc.nScen, model.confidence, p.positions);
        if (!(Math.abs(r.es! - want) <= 1e-9 * Math.max(1, Math.abs(want)))) throw new CheckError(`${p.id}: engine ES ${r.es}, TypeScript ${want}`);
      }
      const k = ports.length;
      const samples = s.quick ? 300 : 3_000;
      const warm = s.quick ? 100 : 500;
      // The engine first: the twin's large temporary arrays would leave garbage to collect in its samples.
      const l = sampleLatency((i) => model.margin(ports[i % k]), warm, samples);
      rows.push({ group: GROUP, case: 'es', size: label, impl: 'EsModel.margin', unit: 'us', value: l.p50, p50us: l.p50, p99us: l.p99,
        meanUs: l.mean, samples: l.samples, baselines: [TS], status: 'ok',
        note: `${Math.round(1e6 / l.mean)} portfolios/s on one thread` });
      const tsL = sampleLatency((i) => tsEs(market, cube, sc.stride, sc.nScen, model.confidence, ports[i % k].positions),
        Math.min(warm, 50), Math.min(samples, 300));
      rows.push({ group: GROUP, case: 'es', size: label, impl: TS, unit: 'us', value: tsL.p50, p50us: tsL.p50, p99us: tsL.p99, meanUs: tsL.mean,
        samples: tsL.samples, status: 'ok' });
      log(`  EsModel.margin ${label}: p50 ${l.p50.toFixed(1)} us, p99 ${l.p99.toFixed(1)} us`);
    } catch (e) {
      rows.push({ group: GROUP, case: 'es', size: label, impl: 'check', unit: 'us', value: null, status: 'error', note: String(e) });
      log(`  ${label}: ${String(e)}`);
    }
  }
}
