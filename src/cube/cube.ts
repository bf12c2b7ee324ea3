/**
 * The instrument P&L cube: one row per instrument, one column per scenario, the P&L of one
 * contract. Built once per market and scenario set by the `revalue` kernel; every portfolio is
 * then a sparse combination of its rows.
 */
import type { Arena } from '../wasm/arena.js';
import type { ResolvedMarket } from '../market/types.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { STATUS_OK } from '../layout.js';

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

/** Builds the cube of `market` under `scen` in `arena` (the cube stays allocated there). */
export function buildCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): Cube {
  const n = market.instruments.ids.length;
  const ptr = arena.allocF64(Math.max(1, n * scen.stride));
  const mark = arena.mark();
  try {
    const table = arena.putF64(market.table);
    const spotMult = arena.putF64(scen.spotMult);
    const volShock = arena.putF64(scen.volShock);
    const volWeight = arena.putF64(scen.volWeight);
    const status = arena.kernels.revalue(
      table, n, 0, n, spotMult, scen.nUnderlyings, volShock, volWeight, scen.horizonYears, scen.nScen, scen.stride, ptr);
    if (status !== STATUS_OK) throw Object.assign(new Error(`revalue kernel returned status ${status}`), { code: 'E_INTERNAL' });
  } finally {
    arena.release(mark);
  }
  return { arena, ptr, nInstruments: n, nScen: scen.nScen, stride: scen.stride };
}
