/**
 * The instrument P&L cube: one row per instrument, one column per scenario, the P&L of one
 * contract. Built once per market and scenario set by the `revalue` kernel; every portfolio is
 * then a sparse combination of its rows.
 */
import type { Arena } from '../wasm/arena.js';
import type { ResolvedMarket } from '../market/types.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { STATUS_OK } from '../layout.js';
import type { KernelExports } from '../wasm/module.js';

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
 * bit. Throws (code E_INTERNAL) when the kernel refuses its arguments.
 */
export function fillCubeRows(kernels: KernelExports, layout: CubeLayout, first: number, count: number): void {
  const L = layout;
  const status = kernels.revalue(
    L.table, L.nInstruments, first, count, L.spotMult, L.nUnderlyings, L.volShock, L.volWeight, L.horizonYears,
    L.nScen, L.stride, L.ptr);
  if (status !== STATUS_OK) throw Object.assign(new Error(`revalue kernel returned status ${status}`), { code: 'E_INTERNAL' });
}

/** Builds the cube of `market` under `scen` in `arena` (the cube stays allocated there). */
export function buildCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): Cube {
  const layout = layoutCube(arena, market, scen);
  try {
    fillCubeRows(arena.kernels, layout, 0, layout.nInstruments);
  } finally {
    arena.release(layout.inputsMark);
  }
  return cubeOf(arena, layout);
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
