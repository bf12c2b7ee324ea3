/**
 * The cube build with vol dynamics (docs/methods.md §5.7) against today's sticky-strike build, on
 * the same instruments and scenarios: the example market (664 instruments, 260 options priced off
 * the BTC and SPX surfaces) under a 41-point grid with three vol moves (123 scenarios). Three
 * builds: sticky-strike with plain relative moves (the baseline: the revalue kernel alone),
 * sticky-moneyness (every surface-priced option's vol read from its surface in every scenario, in
 * WebAssembly), and sticky-moneyness with shaped moves ({ move, skew, min } on every vol move).
 * Median of several builds each; the note gives the ratio to the baseline (the target is at most 2).
 * Checks that sticky-moneyness moves some cell and leaves the unmoved scenarios as they are.
 */
import { buildCube, cubeByInstrument } from '../../src/cube/cube.js';
import { validateGrid } from '../../src/market/grid-spec.js';
import { buildGridScenarios } from '../../src/scenarios/grid.js';
import type { ScenarioSet } from '../../src/scenarios/types.js';
import { Arena } from '../../src/wasm/arena.js';
import { instantiateKernels } from '../../src/wasm/module.js';
import { exampleMarket } from '../data.js';
import { CheckError, type Row, type Settings, medianCubeBuildMs } from '../harness.js';

const GROUP = 'Cube build with vol dynamics against sticky strike, in-process';


export function volDynamicsCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const market = exampleMarket();
  const points = Array.from({ length: 41 }, (_, k) => ({ move: Number((-0.2 + k * 0.01).toFixed(2)) }));
  const base = { points, volTerm: { refDays: 30, power: 0.3 } };
  const sets: [string, ScenarioSet][] = [
    ['sticky-strike', buildGridScenarios(market, validateGrid({ ...base, volMoves: [-0.25, 0, 0.5] }, 'bench', '', market))],
    ['sticky-moneyness', buildGridScenarios(market, validateGrid({ ...base, volMoves: [-0.25, 0, 0.5], volDynamics: 'sticky-moneyness' }, 'bench', '', market))],
    ['sticky-moneyness, skew and min', buildGridScenarios(market, validateGrid({
      ...base, volDynamics: 'sticky-moneyness',
      volMoves: [{ move: -0.25, skew: 0.05, min: 0.1 }, { move: 0, skew: -0.05 }, { move: 0.5, skew: -0.1, min: 0.2 }],
    }, 'bench', '', market))],
  ];
  const arena = new Arena(instantiateKernels());
  const reps = s.quick ? 5 : 21;
  try {
    const cubes = sets.map(([, sc]) => cubeByInstrument(buildCube(new Arena(instantiateKernels()), market, sc)));
    const [plain, sm] = cubes, sc0 = sets[0][1];
    if (plain.every((x, k) => Object.is(x, sm[k]))) throw new CheckError('sticky-moneyness moved no cell');
    const unmoved = Array.from({ length: sc0.nScen }, (_, k) => k).filter((k) => sc0.spotMult[k] === 1);
    for (let i = 0; i < market.instruments.ids.length; i++) {
      for (const k of unmoved) if (!Object.is(plain[i * sc0.stride + k], sm[i * sc0.stride + k])) throw new CheckError('an unmoved scenario differs');
    }
    const times = sets.map(([, sc]) => medianCubeBuildMs(arena, market, sc, reps));
    const size = `${market.instruments.ids.length} instruments x ${sc0.nScen} scen`;
    sets.forEach(([impl], k) => {
      rows.push({ group: GROUP, case: 'vol-dynamics', size, impl, unit: 'ms', value: times[k], status: 'ok',
        note: k > 0 ? `${(times[k] / times[0]).toFixed(2)}x sticky-strike` : undefined });
    });
    log(`  cube build: ${sets.map(([impl], k) => `${impl} ${times[k].toFixed(2)} ms`).join(', ')} (${(times[1] / times[0]).toFixed(2)}x, ${(times[2] / times[0]).toFixed(2)}x)`);
  } catch (e) {
    rows.push({ group: GROUP, case: 'vol-dynamics', size: 'cube build', impl: 'check', unit: 'ms', value: null, status: 'error', note: String(e) });
    log(`  vol-dynamics: ${String(e)}`);
  }
}
