/**
 * The instrument P&L cube: one row per instrument, one column per scenario, the P&L of one
 * contract. Built once per market and scenario set by the `revalue` kernel; every portfolio is
 * then a sparse combination of its rows.
 */
import type { Arena } from '../wasm/arena.js';
import type { ResolvedMarket } from '../market/types.js';
import { checkCubeSize, type ScenarioSet } from '../scenarios/types.js';
import { KIND_CALL, KIND_PUT, STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import type { KernelExports } from '../wasm/module.js';
import { InputError, show } from '../errors.js';
import { fieldPath, MAX_SHOCKED_VOL } from '../market/validate.js';

export interface Cube {
  readonly arena: Arena;
  /** Byte offset of row 0 in the arena's memory. */
  readonly ptr: number;
  readonly nInstruments: number;
  readonly nScen: number;
  readonly stride: number;
}

/** A live view of the whole cube (nInstruments x stride). Remake it after the memory grows. */
export function cubeView(cube: Cube): Float64Array {
  return cube.arena.f64(cube.ptr, cube.nInstruments * cube.stride);
}

/**
 * Where the cube and the inputs of the revalue kernel sit in memory: all a thread that shares the
 * memory needs to build rows of the cube (fillCubeRows).
 */
export interface CubeLayout {
  /** Byte offset of the cube's row 0. */
  ptr: number;
  nInstruments: number;
  nScen: number;
  stride: number;
  nUnderlyings: number;
  horizonYears: number;
  /** Byte offsets of the instrument table, spot multipliers, vol shocks and tenor weights. */
  table: number;
  spotMult: number;
  volShock: number;
  volWeight: number;
  /** The arena's mark after the cube, before the inputs: release it to free the inputs. */
  inputsMark: number;
}

/**
 * Allocates the cube of `market` under `scen` in `arena` (zeroed), then copies the kernel's inputs
 * after it. Nothing is computed yet: fillCubeRows builds rows, in any split, in any thread.
 */
export function layoutCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): CubeLayout {
  checkCubeSize(market, scen.nScen, 'scenarios');
  checkShockedVols(market, scen);
  const n = market.instruments.ids.length;
  const ptr = arena.allocF64(Math.max(1, n * scen.stride));
  const inputsMark = arena.mark();
  return {
    ptr, nInstruments: n, nScen: scen.nScen, stride: scen.stride, nUnderlyings: scen.nUnderlyings,
    horizonYears: scen.horizonYears, inputsMark,
    table: arena.putF64(market.table),
    spotMult: arena.putF64(scen.spotMult),
    volShock: arena.putF64(scen.volShock),
    volWeight: arena.putF64(scen.volWeight),
  };
}

/**
 * Builds rows first .. first+count-1 of a laid-out cube with the `revalue` kernel. A row depends
 * only on its instrument and the scenarios, so any split of the rows gives the same cube, bit for
 * bit. Returns false when a cell is NaN or infinite (the rows are written; checkCubeFinite names
 * the cell). Throws (code E_INTERNAL) when the kernel refuses its arguments.
 */
export function fillCubeRows(kernels: KernelExports, layout: CubeLayout, first: number, count: number): boolean {
  const L = layout;
  const status = kernels.revalue(
    L.table, L.nInstruments, first, count, L.spotMult, L.nUnderlyings, L.volShock, L.volWeight, L.horizonYears,
    L.nScen, L.stride, L.ptr);
  if (status === STATUS_NOT_FINITE) return false;
  if (status !== STATUS_OK) throw Object.assign(new Error(`revalue kernel returned status ${status}`), { code: 'E_INTERNAL' });
  return true;
}

/** Builds the cube of `market` under `scen` in `arena` (the cube stays allocated there). */
export function buildCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): Cube {
  const layout = layoutCube(arena, market, scen);
  let finite: boolean;
  try {
    finite = fillCubeRows(arena.kernels, layout, 0, layout.nInstruments);
  } finally {
    arena.release(layout.inputsMark);
  }
  const cube = cubeOf(arena, layout);
  if (!finite) checkCubeFinite(cube, market, scen);
  return cube;
}

/** How a message names scenario s of a set: its name (stress), its grid point and vol move, or its number. */
function scenarioName(scen: ScenarioSet, s: number): string {
  const named = (scen as { names?: string[] }).names;
  if (named) return `stress scenario ${show(named[s])}`;
  const grid = scen as { point?: Int32Array; volMove?: Float64Array };
  if (grid.point && grid.volMove) return `scenario ${s} (grid point ${grid.point[s]}, vol move ${grid.volMove[s]})`;
  return `scenario ${s}`;
}

/**
 * Throws an InputError naming the first cell of `cube` that is NaN or infinite: the instrument, the
 * scenario and the value (a market whose numbers overflow float64). Does nothing when every cell is finite.
 */
export function checkCubeFinite(cube: Cube, market: ResolvedMarket, scen: ScenarioSet): void {
  const v = cubeView(cube);
  const { nInstruments: n, nScen, stride } = cube;
  for (let i = 0; i < n; i++) {
    const row = i * stride;
    for (let s = 0; s < nScen; s++) {
      const x = v[row + s];
      if (x - x === 0) continue;
      const at = fieldPath('instruments', market.instruments.ids[i]);
      throw new InputError(`${market.source}: ${at}: the P&L of one contract in ${scenarioName(scen, s)} is ${x}: `
        + 'its numbers (spot, strike, price, contract size, rate, vol or the scenario\'s moves) overflow a float64',
      { file: market.source, path: at });
    }
  }
}

/**
 * Rejects a scenario set that would take an option's vol above MAX_SHOCKED_VOL (where the
 * Black-Scholes-Merton formula loses all precision): vol x (1 + volShock x tenor weight), the
 * largest shock of each underlying. Throws an InputError naming the instrument and the numbers.
 */
export function checkShockedVols(market: ResolvedMarket, scen: ScenarioSet): void {
  const ins = market.instruments, nU = scen.nUnderlyings, stride = scen.stride;
  const maxShock = new Float64Array(nU);
  for (let u = 0; u < nU; u++) {
    let m = 0;
    for (let s = 0; s < scen.nScen; s++) m = Math.max(m, scen.volShock[u * stride + s]);
    maxShock[u] = m;
  }
  for (let i = 0; i < ins.ids.length; i++) {
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    const shocked = ins.vol[i] * (1 + maxShock[ins.underlying[i]] * scen.volWeight[i]);
    if (!(shocked <= MAX_SHOCKED_VOL)) {
      const at = fieldPath('instruments', ins.ids[i]);
      throw new InputError(`${market.source}: ${at}: a scenario's vol move takes its vol from ${ins.vol[i]} to `
        + `${Number(shocked.toPrecision(6))}; a shocked vol must stay <= ${MAX_SHOCKED_VOL} (${MAX_SHOCKED_VOL * 100} % a year)`,
      { file: market.source, path: at });
    }
  }
}

/** The cube of a layout, for an arena over the same memory (in this thread or another). */
export function cubeOf(arena: Arena, layout: CubeLayout): Cube {
  return { arena, ptr: layout.ptr, nInstruments: layout.nInstruments, nScen: layout.nScen, stride: layout.stride };
}

/**
 * The scenario set a layout holds, as views on the memory (no copy), for a thread that shares it:
 * what a model over an existing cube needs of its scenarios.
 */
export function scenariosOf(memory: WebAssembly.Memory, layout: CubeLayout): ScenarioSet {
  const L = layout;
  return {
    nScen: L.nScen, stride: L.stride, nUnderlyings: L.nUnderlyings, horizonYears: L.horizonYears,
    spotMult: new Float64Array(memory.buffer, L.spotMult, L.nUnderlyings * L.stride),
    volShock: new Float64Array(memory.buffer, L.volShock, L.nUnderlyings * L.stride),
    volWeight: new Float64Array(memory.buffer, L.volWeight, L.nInstruments),
  };
}

/** Throws when `cube` is not the cube of `market` under `scen` (by shape). */
export function checkCube(cube: Cube, market: ResolvedMarket, scen: { nScen: number; stride: number }): void {
  const n = market.instruments.ids.length;
  if (cube.nInstruments !== n || cube.nScen !== scen.nScen || cube.stride !== scen.stride) {
    throw new Error(`cube of ${cube.nInstruments} x ${cube.nScen} (stride ${cube.stride}) does not fit a market of ${n} instruments `
      + `under ${scen.nScen} scenarios (stride ${scen.stride})`);
  }
}
