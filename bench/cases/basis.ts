/**
 * The cube build with basis shifts (docs/methods.md §6.10) against the same grid without them, on
 * the example market (664 instruments, 14 futures and 3 perpetuals, 52 BTC options on futures):
 * the market's own grid (29 scenarios; the baseline) and the same grid with
 * `basis: { move: 0.05, minYears: 1/12 }` (87 scenarios: each point and vol move at shifts 0, +1,
 * -1). The extra evaluations are the tripled scenarios (every cell of the revalue kernel) and the
 * basis kernel's rewrite of the shifted cells of the rows with a basis; the note gives the ratio
 * of the build times and of the time per cell. Median of several builds. Checked first: the
 * unshifted scenarios' cells equal the plain cube's, bit for bit.
 */
import { buildCube, cubeByInstrument } from '../../src/cube/cube.js';
import { validateGrid } from '../../src/market/grid-spec.js';
import { buildGridScenarios } from '../../src/scenarios/grid.js';
import { Arena } from '../../src/wasm/arena.js';
import { instantiateKernels } from '../../src/wasm/module.js';
import { exampleMarket, exampleMarketInput } from '../data.js';
import { CheckError, type Row, type Settings, medianCubeBuildMs } from '../harness.js';

const GROUP = 'Cube build with basis shifts against without, in-process';


export function basisCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const market = exampleMarket();
  const grid = exampleMarketInput().risk!.grid!;
  const plain = buildGridScenarios(market, validateGrid(grid, 'bench', '', market));
  const shifted = buildGridScenarios(market, validateGrid({ ...grid, basis: { move: 0.05, minYears: 1 / 12 } }, 'bench', '', market));
  const reps = s.quick ? 7 : 41;
  try {
    const a = cubeByInstrument(buildCube(new Arena(instantiateKernels()), market, plain));
    const b = cubeByInstrument(buildCube(new Arena(instantiateKernels()), market, shifted));
    for (let i = 0; i < market.instruments.ids.length; i++) {
      for (let k = 0; k < plain.nScen; k++) {
        if (!Object.is(a[i * plain.stride + k], b[i * shifted.stride + 3 * k])) throw new CheckError(`an unshifted cell differs (${market.instruments.ids[i]}, scenario ${k})`);
      }
    }
    const arena = new Arena(instantiateKernels());
    const t0 = medianCubeBuildMs(arena, market, plain, reps), t1 = medianCubeBuildMs(arena, market, shifted, reps);
    const n = market.instruments.ids.length;
    rows.push({ group: GROUP, case: 'basis', size: `${n} instruments x ${plain.nScen} scen`, impl: 'without basis', unit: 'ms', value: t0, status: 'ok' });
    rows.push({ group: GROUP, case: 'basis', size: `${n} instruments x ${shifted.nScen} scen`, impl: 'with basis', unit: 'ms', value: t1, status: 'ok',
      note: `${(t1 / t0).toFixed(2)}x the build, ${((t1 / shifted.nScen) / (t0 / plain.nScen)).toFixed(2)}x per cell` });
    log(`  cube build: ${t0.toFixed(2)} ms without basis (${plain.nScen} scen), ${t1.toFixed(2)} ms with (${shifted.nScen} scen): `
      + `${(t1 / t0).toFixed(2)}x, ${((t1 / shifted.nScen) / (t0 / plain.nScen)).toFixed(2)}x per cell`);
  } catch (e) {
    rows.push({ group: GROUP, case: 'basis', size: 'cube build', impl: 'check', unit: 'ms', value: null, status: 'error', note: String(e) });
    log(`  basis: ${String(e)}`);
  }
}
