/**
 * Cube build throughput: instrument x scenario cells per second over the whole example market
 * (664 instruments, options and linear ones) and its grid scenarios or Monte Carlo scenario sets of
 * 100 to 10,000 scenarios. One thread: the host's buildCube (inputs copied in, zeroed cube, the
 * SIMD `revalue` kernel), against the scalar kernel on the same inputs, both algorithms in plain
 * TypeScript and the test twin. The pool: the batch engine building the cube in parallel in its
 * shared memory (bench/cases/batch.ts).
 */
import { Arena } from '../../src/wasm/arena.js';
import { instantiateKernels } from '../../src/wasm/module.js';
import { RevalueKernel, type RevalueArgs } from '../../src/kernels/revalue.js';
import { buildCube, cubeByInstrument } from '../../src/cube/cube.js';
import { buildMonteCarloScenarios } from '../../src/scenarios/monte-carlo.js';
import { buildGridScenarios } from '../../src/scenarios/grid.js';
import type { ScenarioSet } from '../../src/scenarios/types.js';
import type { EsSpec, GridSpec } from '../../src/market/types.js';
import { referenceRevalue } from '../../src/reference/cube.js';
import { revalueTs, revalueTsShared } from '../ts-kernel.js';
import { exampleMarket } from '../data.js';
import { CheckError, checkClose, measure, type Row, type Settings } from '../harness.js';
import { priceScale, TS_PORT, TS_PORT_SIMD_ALG, TS_TWIN, WASM_SCALAR } from './kernel.js';
import { poolCubeCase } from './batch.js';

export const CUBE_GROUP = 'cube build (instruments x scenarios)';
export const HOST_1T = 'WASM SIMD, 1 thread (buildCube)';

export async function cubeCase(s: Settings, rows: Row[], log: (m: string) => void): Promise<void> {
  const market = exampleMarket();
  const es = market.risk.es!;
  const n = market.instruments.ids.length;
  const kernels = instantiateKernels();
  const arena = new Arena(kernels);
  const scalar = RevalueKernel.hasScalar(kernels) ? new RevalueKernel(kernels, { scalar: true }) : undefined;
  const sets: { size: string; sc: ScenarioSet; grid?: GridSpec; es?: EsSpec }[] = [];
  if (market.risk.grid) {
    const g = buildGridScenarios(market, market.risk.grid);
    sets.push({ size: `${n} instr x ${g.nScen} scen (grid)`, sc: g, grid: market.risk.grid });
  }
  for (const nScen of s.quick ? [1_000] : [100, 1_000, 10_000]) {
    const spec = { ...es, scenarios: nScen };
    sets.push({ size: `${n} instr x ${nScen} scen (ES)`, sc: buildMonteCarloScenarios(arena, market, spec), es: spec });
  }
  for (const { size, sc, grid, es: esSpec } of sets) {
    const cells = n * sc.nScen;
    const unit = 'cell/s';
    const nU = sc.nUnderlyings;
    const cubeTs = new Float64Array(n * sc.stride), cubeTs2 = new Float64Array(n * sc.stride), lnScratch = new Float64Array(sc.nScen);
    const port = () => revalueTs(market.table, n, 0, n, sc.spotMult, nU, sc.volShock, sc.volWeight, sc.horizonYears, sc.nScen, sc.stride, cubeTs);
    const portB = () => revalueTsShared(market.table, n, 0, n, sc.spotMult, nU, sc.volShock, sc.volWeight, sc.horizonYears, sc.nScen,
      sc.stride, cubeTs2, lnScratch);
    const mark = arena.mark();
    try {
      // Inputs of the scalar kernel laid out once (buildCube lays out its own, inside the timed call).
      const tP = arena.putF64(market.table), mP = arena.putF64(sc.spotMult), vP = arena.putF64(sc.volShock), wP = arena.putF64(sc.volWeight);
      const cubeScalar = arena.allocF64(n * sc.stride);
      const argsScalar: RevalueArgs = {
        table: tP, nInstruments: n, spotMult: mP, nUnderlyings: nU, volShock: vP, volWeight: wP,
        horizonYears: sc.horizonYears, nScen: sc.nScen, stride: sc.stride, cube: cubeScalar,
      };
      const callScalar = () => scalar!.rows(argsScalar, 0, n);
      // Check once: the host's cube, the scalar kernel's and the port of the SIMD algorithm against the
      // TypeScript port of the scalar algorithm (and that port against the twin on the smaller sets),
      // within 1e-9 of the prices each P&L is a difference of.
      port();
      portB();
      const scale = priceScale(market.table, n, sc);
      const m0 = arena.mark();
      const cube = buildCube(arena, market, sc);
      const worst = checkClose(`buildCube ${size}`, cubeByInstrument(cube), cubeTs, 1e-9, scale);
      arena.release(m0);
      checkClose(`TS port of the SIMD algorithm ${size}`, cubeTs2, cubeTs, 1e-9, scale);
      if (scalar) {
        if (!callScalar()) throw new CheckError('revalueScalar returned a non-finite cell');
        checkClose(`scalar kernel ${size}`, arena.f64(cubeScalar, n * sc.stride), cubeTs, 1e-9, scale);
      }
      if (cells <= 1e6) {
        const twin = referenceRevalue(market.table, n, sc.spotMult, sc.volShock, sc.volWeight, sc.horizonYears, sc.nScen, sc.stride);
        checkClose(`TS port vs twin ${size}`, cubeTs, twin, 1e-9, scale);
      }
      log(`  checked ${size}: max relative difference ${worst.toExponential(2)}`);
      const push = (impl: string, baselines: string[] | undefined, f: () => void): void => {
        const m = measure(`${impl} ${size}`, f, s);
        rows.push({ group: CUBE_GROUP, case: 'build', size, impl, unit, value: m.hz * cells, rme: m.rme, samples: m.samples,
          meanUs: m.meanUs, baselines, status: 'ok', note: impl === HOST_1T ? `${(m.meanUs / 1000).toFixed(2)} ms per cube` : undefined });
        log(`  ${impl} ${size}`);
      };
      const twinToo = cells <= 100_000;
      if (twinToo) {
        push(TS_TWIN, undefined, () => {
          referenceRevalue(market.table, n, sc.spotMult, sc.volShock, sc.volWeight, sc.horizonYears, sc.nScen, sc.stride);
        });
      }
      push(TS_PORT, twinToo ? [TS_TWIN] : undefined, port);
      if (scalar) push(WASM_SCALAR, [TS_PORT], callScalar);
      push(TS_PORT_SIMD_ALG, [TS_PORT], portB);
      push(HOST_1T, scalar ? [TS_PORT, TS_PORT_SIMD_ALG, WASM_SCALAR] : [TS_PORT, TS_PORT_SIMD_ALG], () => {
        const m = arena.mark();
        buildCube(arena, market, sc);
        arena.release(m);
      });
    } catch (e) {
      rows.push({ group: CUBE_GROUP, case: 'build', size, impl: 'check', unit, value: null, status: 'error', note: String(e) });
      log(`  ${size}: ${String(e)}`);
    } finally {
      arena.release(mark);
    }
    await poolCubeCase(market, { grid, es: esSpec }, size, cells, s, rows, log);
  }
}
