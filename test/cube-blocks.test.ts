// The cube blocked by underlying (docs/methods.md §2): rows of one underlying are one contiguous
// block, the numbers do not depend on the market's instrument order, and rebuilding one block
// after a move equals building the moved market's cube from scratch, bit for bit, leaving the
// other blocks as they were.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolveMarket } from '../src/market/load.js';
import { buildGridScenarios } from '../src/scenarios/grid.js';
import { buildCube, buildCubeLayout, cubeByInstrument, cubeView, instrumentRow, rebuildBlock } from '../src/cube/cube.js';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels } from '../src/wasm/module.js';
import { NCOLS } from '../src/layout.js';
import { packageFile } from '../src/paths.js';
import { Rng } from './helpers/random.js';

const example = JSON.parse(readFileSync(packageFile('examples/market.json'), 'utf8'));

/** The example market with its instruments in a seeded random order (interleaving underlyings). */
function shuffled(seed: number, move?: { underlying: string; spot: number }): ReturnType<typeof resolveMarket> {
  const json = structuredClone(example);
  const entries = Object.entries(json.instruments);
  const rng = new Rng(seed);
  for (let k = entries.length - 1; k > 0; k--) {
    const j = rng.int(0, k);
    [entries[k], entries[j]] = [entries[j], entries[k]];
  }
  json.instruments = Object.fromEntries(entries);
  if (move) json.underlyings[move.underlying].spot = move.spot;
  return resolveMarket(json, 'market.json');
}

function same(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
}

describe('the cube is blocked by underlying', () => {
  // Each cube in its own instance (an Arena owns its instance's memory from the heap base).
  const fresh = () => new Arena(instantiateKernels());

  it('rows of one underlying are contiguous, in market order within the block', () => {
    const market = shuffled(1);
    const cube = buildCube(fresh(), market, buildGridScenarios(market, market.risk.grid!));
    const ins = market.instruments;
    // Rows are a permutation, ordered by underlying, market order within.
    const rows = Array.from(cube.row);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows.map((_, k) => k));
    const byRow = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r - b.r).map((x) => x.i);
    for (let k = 1; k < byRow.length; k++) {
      const [a, b] = [byRow[k - 1], byRow[k]];
      expect(ins.underlying[a] < ins.underlying[b] || (ins.underlying[a] === ins.underlying[b] && a < b)).toBe(true);
    }
    // The shuffle did interleave underlyings: the layout is not the identity.
    expect(rows.some((r, i) => r !== i)).toBe(true);
  });

  it('gives every instrument the same row, bit for bit, whatever the order of the market file', () => {
    const a = shuffled(1), b = shuffled(2);
    const ca = buildCube(fresh(), a, buildGridScenarios(a, a.risk.grid!));
    const cb = buildCube(fresh(), b, buildGridScenarios(b, b.risk.grid!));
    let worst = 0;
    for (const id of a.instruments.ids) {
      const x = instrumentRow(ca, a.instruments.index.get(id)!), y = instrumentRow(cb, b.instruments.index.get(id)!);
      for (let s = 0; s < ca.stride; s++) if (!Object.is(x[s], y[s])) worst = Math.max(worst, Math.abs(x[s] - y[s]) / Math.max(1, Math.abs(x[s])));
    }
    expect(worst).toBe(0);
    // cubeByInstrument is the same numbers in instrument order.
    const byI = cubeByInstrument(ca);
    const i = a.instruments.ids.length - 1;
    expect(same(byI.subarray(i * ca.stride, (i + 1) * ca.stride), instrumentRow(ca, i))).toBe(true);
  });

  it('rebuilds one underlying\'s block after a spot move: equal to a fresh cube of the moved market, other blocks untouched', () => {
    const market = shuffled(3);
    const arena = fresh(), kernels = arena.kernels;
    const { cube, layout } = buildCubeLayout(arena, market, buildGridScenarios(market, market.risk.grid!), true);
    const before = cubeView(cube).slice();
    const u = market.underlyings.ids.indexOf('ETH');
    const spot = 3100 * 1.07;
    // The move, as continuous margining writes it: the moved instruments' columns into the block's
    // table (the spot, and the reference price of a perpetual marked at the spot).
    const moved = shuffled(3, { underlying: 'ETH', spot });
    const nu = layout.blocks.count[u], n = market.instruments.ids.length;
    const table = arena.f64(layout.blockTable[u], NCOLS * Math.max(1, nu));
    let changed = 0;
    for (let j = 0; j < nu; j++) {
      const i = layout.blocks.instrument[layout.blocks.start[u] + j];
      for (let c = 0; c < NCOLS; c++) {
        if (table[c * nu + j] !== moved.table[c * n + i]) changed++;
        table[c * nu + j] = moved.table[c * n + i];
      }
    }
    expect(changed).toBeGreaterThanOrEqual(nu); // every instrument's spot at least
    expect(rebuildBlock(kernels, layout, u)).toBe(true);

    const rebuilt = buildCube(fresh(), moved, buildGridScenarios(moved, moved.risk.grid!));
    const after = cubeView(cube), want = cubeView(rebuilt);
    const stride = cube.stride, s0 = layout.blocks.start[u];
    expect(nu).toBeGreaterThan(0);
    expect(same(after.subarray(s0 * stride, (s0 + nu) * stride), want.subarray(s0 * stride, (s0 + nu) * stride))).toBe(true);
    expect(same(after.subarray(0, s0 * stride), before.subarray(0, s0 * stride))).toBe(true);
    expect(same(after.subarray((s0 + nu) * stride), before.subarray((s0 + nu) * stride))).toBe(true);
    // And the block did change.
    expect(same(after.subarray(s0 * stride, (s0 + nu) * stride), before.subarray(s0 * stride, (s0 + nu) * stride))).toBe(false);
  });
});
