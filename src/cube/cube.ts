/**
 * The instrument P&L cube: one row per instrument, one column per scenario, the P&L of one
 * contract (docs/methods.md §2). Built once per market and scenario set by the `revalue` kernel;
 * every portfolio is then a sparse combination of its rows.
 *
 * Rows are blocked by underlying: underlying u's instruments (in market order) are the rows
 * start[u] .. start[u] + count[u] - 1, each block with its own small instrument table, so that a
 * move of one underlying (a tick: its spot, a future's price, an option's vol) rebuilds its block
 * alone (rebuildBlock). Instrument i's row is `row[i]`. The in-process models, the batch workers
 * and the account layer all use this cube.
 */
import type { Arena } from '../wasm/arena.js';
import type { ResolvedMarket } from '../market/types.js';
import { checkCubeSize, type ScenarioSet } from '../scenarios/types.js';
import { COL_Q, COL_R, COL_S, KIND_CALL, KIND_PUT, NCOLS, STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import { KernelError } from '../kernels/error.js';
import type { KernelExports } from '../wasm/module.js';
import { InputError, show } from '../errors.js';
import { fieldPath, MAX_SHOCKED_VOL } from '../market/validate.js';
import { AXIS_MONEYNESS, surfaceLn } from '../surface/surface.js';
import { shockedVolRef } from '../reference/vol-dynamics.js';

export interface Cube {
  readonly arena: Arena;
  /** Byte offset of row 0 in the arena's memory. */
  readonly ptr: number;
  readonly nInstruments: number;
  readonly nScen: number;
  readonly stride: number;
  /** Per instrument i of the market: its row (blocked by underlying). */
  readonly row: Int32Array;
}

/** The blocks of a cube: per underlying, a contiguous range of rows. */
export interface CubeBlocks {
  /** Per instrument of the market: its row. */
  row: Int32Array;
  /** Per row: its instrument. */
  instrument: Int32Array;
  /** Per underlying u: its rows start[u] .. start[u] + count[u] - 1. */
  start: Int32Array;
  count: Int32Array;
}

/** The blocks of `market`'s cube: underlying by underlying, market order within. */
export function cubeBlocks(market: ResolvedMarket): CubeBlocks {
  const ins = market.instruments, n = ins.ids.length, nU = market.underlyings.ids.length;
  const count = new Int32Array(nU), start = new Int32Array(nU);
  for (let i = 0; i < n; i++) count[ins.underlying[i]]++;
  for (let u = 1; u < nU; u++) start[u] = start[u - 1] + count[u - 1];
  const next = start.slice(), row = new Int32Array(n), instrument = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = next[ins.underlying[i]]++;
    row[i] = r;
    instrument[r] = i;
  }
  return { row, instrument, start, count };
}

/**
 * A live view of the whole cube (nInstruments x stride, in row order: instrument i is row
 * `cube.row[i]`). Remake it after the memory grows.
 */
export function cubeView(cube: Cube): Float64Array {
  return cube.arena.f64(cube.ptr, cube.nInstruments * cube.stride);
}

/** A live view of instrument i's row (stride values, the first nScen used). */
export function instrumentRow(cube: Cube, i: number): Float64Array {
  return cube.arena.f64(cube.ptr + cube.row[i] * cube.stride * 8, cube.stride);
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
  /** The blocks by underlying. */
  blocks: CubeBlocks;
  /** Per underlying: byte offsets of its block's instrument table (layout.ts, count[u] rows) and tenor weights. */
  blockTable: Int32Array;
  blockVolWeight: Int32Array;
  /** Byte offsets of the spot multipliers, vol shocks and (by instrument of the market) tenor weights. */
  spotMult: number;
  volShock: number;
  volWeight: number;
  /** The arena's mark after the cube, before the inputs: release it to free the inputs. */
  inputsMark: number;
  /** Whether the market has American options: their rows are revalued by revalueAmerican after revalue. */
  american: boolean;
  /** Basis shifts (ScenarioSet.basis): the shifts (nU rows of stride) and, per block, each row's amount b max(tau, t0). */
  basis?: { shift: number; blockAmount: Int32Array };
  /** With vol dynamics (ScenarioSet.dynamics): the volMoves kernel's inputs and the per-cell vol rows it writes. */
  dynamics?: DynamicsLayout;
}

/** Byte offsets of the vol-dynamics inputs (per underlying block where per instrument). */
export interface DynamicsLayout {
  lnMult: number;
  volAbs: number;
  volSkew: number;
  volFloor: number;
  /** nU descriptors of 6 f64: axis (-1: no surface), nE, nP, offsets of T, ln points, vols. */
  surfaces: number;
  /** n rows of stride f64, in row (block) order: the vol move of every cell. */
  volRows: number;
  blockY0: Int32Array;
  blockLnKF: Int32Array;
  blockSticky: Int32Array;
  /** Per block: weights of 1 (the vol rows already carry the tenor weight). */
  blockOnes: Int32Array;
  stickyMoneyness: boolean;
}

/** The descriptor fields of a surface for the volMoves kernel (assembly/vol-dynamics.ts SURF_FIELDS). */
const SURF_FIELDS = 6;

/**
 * Underlying u's per-row vol-dynamics inputs from the market as it is now: ln(K / F) (F = S
 * e^((r - q) max(T, 0)) from the option's row, the forward the loader reads surfaces with: the
 * future's price for an option on a future), the option's surface
 * coordinate y0 (ln(K / F) or ln K) and whether it reads its base vol from the surface (sticky
 * moneyness and a surface-priced option); 0 for other rows.
 */
function dynamicsBlockInputs(market: ResolvedMarket, stickyMoneyness: boolean, blocks: CubeBlocks, u: number) {
  const und = market.underlyings, ins = market.instruments;
  const nu = blocks.count[u], s0 = blocks.start[u];
  const y0 = new Float64Array(Math.max(1, nu)), lnKF = new Float64Array(Math.max(1, nu)), sticky = new Float64Array(Math.max(1, nu));
  const sf = und.surface?.[u];
  for (let j = 0; j < nu; j++) {
    const i = blocks.instrument[s0 + j];
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    // The option's forward from its row: S e^((r - q) max(T, 0)); an option on a future has S = F, q = r.
    const N = ins.ids.length, t = market.table;
    const F = t[COL_S * N + i] * Math.exp((t[COL_R * N + i] - t[COL_Q * N + i]) * Math.max(ins.T[i], 0));
    const K = ins.strike[i];
    lnKF[j] = surfaceLn(K / F);
    if (stickyMoneyness && sf && ins.volFromSurface?.[i] === 1) {
      sticky[j] = 1;
      y0[j] = sf.axisCode === AXIS_MONEYNESS ? lnKF[j] : surfaceLn(K);
    }
  }
  return { y0, lnKF, sticky };
}

/**
 * Rewrites underlying u's vol-dynamics inputs of a laid-out cube (inputs kept) from the market as
 * it is now (after a tick moved its spot, or options of u took vols of their own), into `f64`, a
 * view of the kernels' memory. Nothing to do without dynamics.
 */
export function rewriteDynamicsBlock(f64: Float64Array, market: ResolvedMarket, layout: CubeLayout, u: number): void {
  const D = layout.dynamics;
  if (!D) return;
  const { y0, lnKF, sticky } = dynamicsBlockInputs(market, D.stickyMoneyness, layout.blocks, u);
  f64.set(y0, D.blockY0[u] >> 3);
  f64.set(lnKF, D.blockLnKF[u] >> 3);
  f64.set(sticky, D.blockSticky[u] >> 3);
}

/** Lays out the vol-dynamics inputs of `scen` after the cube's other inputs. */
function layoutDynamics(arena: Arena, market: ResolvedMarket, scen: ScenarioSet, blocks: CubeBlocks): DynamicsLayout {
  const dyn = scen.dynamics!;
  const und = market.underlyings, ins = market.instruments;
  const nU = und.ids.length, stride = scen.stride, n = ins.ids.length;
  const lnMult = new Float64Array(nU * stride);
  for (let k = 0; k < lnMult.length; k++) lnMult[k] = surfaceLn(scen.spotMult[k]);
  const desc = new Float64Array(Math.max(1, nU * SURF_FIELDS));
  for (let u = 0; u < nU; u++) {
    const sf = und.surface?.[u];
    const d = u * SURF_FIELDS;
    if (!sf) { desc[d] = -1; continue; }
    desc[d] = sf.axisCode; desc[d + 1] = sf.nExpiries; desc[d + 2] = sf.nPoints;
    desc[d + 3] = arena.putF64(sf.T); desc[d + 4] = arena.putF64(sf.lnPoints); desc[d + 5] = arena.putF64(sf.vols);
  }
  const blockY0 = new Int32Array(nU), blockLnKF = new Int32Array(nU), blockSticky = new Int32Array(nU), blockOnes = new Int32Array(nU);
  for (let u = 0; u < nU; u++) {
    const { y0, lnKF, sticky } = dynamicsBlockInputs(market, dyn.stickyMoneyness, blocks, u);
    blockY0[u] = arena.putF64(y0);
    blockLnKF[u] = arena.putF64(lnKF);
    blockSticky[u] = arena.putF64(sticky);
    blockOnes[u] = arena.putF64(new Float64Array(Math.max(1, blocks.count[u])).fill(1));
  }
  return {
    lnMult: arena.putF64(lnMult), volAbs: arena.putF64(dyn.absolute), volSkew: arena.putF64(dyn.skew), volFloor: arena.putF64(dyn.floor),
    surfaces: arena.putF64(desc), volRows: arena.allocF64(Math.max(1, n * stride)),
    blockY0, blockLnKF, blockSticky, blockOnes, stickyMoneyness: dyn.stickyMoneyness,
  };
}

/**
 * Allocates the cube of `market` under `scen` in `arena` (zeroed), then copies the kernel's inputs
 * after it. Nothing is computed yet: fillCubeRows builds rows, in any split, in any thread.
 */
export function layoutCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): CubeLayout {
  checkCubeSize(market, scen.nScen, 'scenarios');
  // With vol dynamics the volMoves kernel checks every shocked vol (a NaN cell names it).
  if (!scen.dynamics) checkShockedVols(market, scen);
  const n = market.instruments.ids.length;
  const ptr = arena.allocF64(Math.max(1, n * scen.stride));
  const inputsMark = arena.mark();
  const blocks = cubeBlocks(market);
  const nU = market.underlyings.ids.length;
  const blockTable = new Int32Array(nU), blockVolWeight = new Int32Array(nU);
  for (let u = 0; u < nU; u++) {
    const nu = blocks.count[u], s0 = blocks.start[u];
    const table = new Float64Array(Math.max(1, NCOLS * nu)), vw = new Float64Array(Math.max(1, nu));
    for (let j = 0; j < nu; j++) {
      const i = blocks.instrument[s0 + j];
      for (let c = 0; c < NCOLS; c++) table[c * nu + j] = market.table[c * n + i];
      vw[j] = scen.volWeight[i];
    }
    blockTable[u] = arena.putF64(table);
    blockVolWeight[u] = arena.putF64(vw);
  }
  return {
    ptr, nInstruments: n, nScen: scen.nScen, stride: scen.stride, nUnderlyings: scen.nUnderlyings,
    horizonYears: scen.horizonYears, inputsMark, blocks, blockTable, blockVolWeight,
    spotMult: arena.putF64(scen.spotMult),
    volShock: arena.putF64(scen.volShock),
    volWeight: arena.putF64(scen.volWeight),
    ...(scen.dynamics ? { dynamics: layoutDynamics(arena, market, scen, blocks) } : {}),
    american: market.instruments.american !== undefined,
    ...(scen.basis ? { basis: layoutBasis(arena, market, scen, blocks) } : {}),
  };
}

/**
 * The years to expiry tau a row's basis shift scales with (docs/methods.md §6.10): a future's own,
 * 0 for a perpetual, an option on a future its future's; NaN for rows without a basis (spot,
 * options on the spot, and inverse contracts, which the account layer values per coin).
 */
export function basisTenor(market: ResolvedMarket, i: number): number {
  const ins = market.instruments;
  if (ins.inverse?.[i] === 1) return NaN;
  switch (ins.inputKind[i]) {
    case 'future': return ins.T[i];
    case 'perpetual': return 0;
    case 'option': {
      const f = ins.future?.[i] ?? -1;
      return f >= 0 ? ins.T[f] : NaN;
    }
    default: return NaN;
  }
}

/** Lays out the basis inputs: the shifts, and per block each row's amount b_u max(tau, t0_u) (0: no shift). */
function layoutBasis(arena: Arena, market: ResolvedMarket, scen: ScenarioSet, blocks: CubeBlocks): { shift: number; blockAmount: Int32Array } {
  const B = scen.basis!;
  const nU = market.underlyings.ids.length;
  const blockAmount = new Int32Array(nU);
  for (let u = 0; u < nU; u++) {
    const nu = blocks.count[u], s0 = blocks.start[u];
    const amount = new Float64Array(Math.max(1, nu));
    for (let j = 0; j < nu; j++) {
      const tau = basisTenor(market, blocks.instrument[s0 + j]);
      if (!Number.isNaN(tau) && B.move[u] > 0) amount[j] = B.move[u] * Math.max(tau, B.minYears[u]);
    }
    blockAmount[u] = arena.putF64(amount);
  }
  return { shift: arena.putF64(B.shift), blockAmount };
}

/**
 * Builds rows first .. first+count-1 of a laid-out cube with the `revalue` kernel. A row depends
 * only on its instrument and the scenarios, so any split of the rows gives the same cube, bit for
 * bit. Returns false when a cell is NaN or infinite (the rows are written; checkCubeFinite names
 * the cell). Throws (code E_INTERNAL) when the kernel refuses its arguments.
 */
export function fillCubeRows(kernels: KernelExports, layout: CubeLayout, first: number, count: number): boolean {
  const L = layout, { start, count: inBlock } = L.blocks;
  const end = first + count;
  let finite = true;
  for (let u = 0; u < start.length; u++) {
    const s0 = start[u], nu = inBlock[u];
    const lo = Math.max(first, s0), hi = Math.min(end, s0 + nu);
    if (lo >= hi) continue;
    const D = L.dynamics;
    let status: number;
    if (D) {
      // The vol of every cell first (into the block's vol rows), then the cells.
      const rows = D.volRows + s0 * L.stride * 8;
      status = kernels.volMoves(L.blockTable[u], nu, lo - s0, hi - lo, L.nUnderlyings, L.spotMult, D.lnMult, L.volShock, D.volAbs,
        D.volSkew, D.volFloor, L.blockVolWeight[u], D.blockY0[u], D.blockLnKF[u], D.blockSticky[u], D.surfaces, MAX_SHOCKED_VOL,
        L.nScen, L.stride, rows);
      if (status === STATUS_NOT_FINITE) finite = false;
      else if (status !== STATUS_OK) throw new KernelError('volMoves', status);
      status = kernels.revalueVolRows(L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, rows, D.blockOnes[u],
        L.horizonYears, L.nScen, L.stride, L.ptr + s0 * L.stride * 8);
    } else {
      status = kernels.revalue(
        L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, L.volShock, L.blockVolWeight[u], L.horizonYears,
        L.nScen, L.stride, L.ptr + s0 * L.stride * 8);
    }
    if (status === STATUS_NOT_FINITE) finite = false;
    else if (status !== STATUS_OK) throw new KernelError('revalue', status);
    if (L.american) {
      // American rows over the European cells (docs/methods.md §3.6), with the same vols.
      status = D
        ? kernels.revalueAmerican(L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, D.volRows + s0 * L.stride * 8,
          D.blockOnes[u], 1, L.horizonYears, L.nScen, L.stride, L.ptr + s0 * L.stride * 8)
        : kernels.revalueAmerican(L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, L.volShock,
          L.blockVolWeight[u], 0, L.horizonYears, L.nScen, L.stride, L.ptr + s0 * L.stride * 8);
      if (status === STATUS_NOT_FINITE) finite = false;
      else if (status !== STATUS_OK) throw new KernelError('revalueAmerican', status);
    }
    if (L.basis) {
      // Basis shifts over the cells computed as if forwards moved with the spot (docs/methods.md §6.10).
      status = D
        ? kernels.basisCells(L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, L.basis.shift, L.basis.blockAmount[u],
          D.volRows + s0 * L.stride * 8, D.blockOnes[u], 1, L.horizonYears, L.nScen, L.stride, L.ptr + s0 * L.stride * 8)
        : kernels.basisCells(L.blockTable[u], nu, lo - s0, hi - lo, L.spotMult, L.nUnderlyings, L.basis.shift, L.basis.blockAmount[u],
          L.volShock, L.blockVolWeight[u], 0, L.horizonYears, L.nScen, L.stride, L.ptr + s0 * L.stride * 8);
      if (status === STATUS_NOT_FINITE) finite = false;
      else if (status !== STATUS_OK) throw new KernelError('basisCells', status);
    }
  }
  return finite;
}

/**
 * Rebuilds underlying u's block of a laid-out cube (its inputs kept: buildCube with keepInputs)
 * from its block table and the scenario inputs as they are now in memory; false when a cell is
 * NaN or infinite. What continuous margining runs on a tick of u.
 */
export function rebuildBlock(kernels: KernelExports, layout: CubeLayout, u: number): boolean {
  return fillCubeRows(kernels, layout, layout.blocks.start[u], layout.blocks.count[u]);
}

/** Builds the cube of `market` under `scen` in `arena` (the cube stays allocated there). */
export function buildCube(arena: Arena, market: ResolvedMarket, scen: ScenarioSet): Cube {
  return buildCubeLayout(arena, market, scen, false).cube;
}

/**
 * buildCube, and its layout; with `keepInputs` the block tables and scenario inputs stay allocated
 * after the cube, so that blocks can be rebuilt (rebuildBlock), else they are released.
 */
export function buildCubeLayout(arena: Arena, market: ResolvedMarket, scen: ScenarioSet, keepInputs: boolean): { cube: Cube; layout: CubeLayout } {
  const layout = layoutCube(arena, market, scen);
  let finite: boolean;
  try {
    finite = fillCubeRows(arena.kernels, layout, 0, layout.nInstruments);
  } finally {
    if (!keepInputs) arena.release(layout.inputsMark);
  }
  const cube = cubeOf(arena, layout);
  if (!finite) checkCubeFinite(cube, market, scen);
  return { cube, layout };
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
    const row = cube.row[i] * stride;
    for (let s = 0; s < nScen; s++) {
      const x = v[row + s];
      if (x - x === 0) continue;
      const at = fieldPath('instruments', market.instruments.ids[i]);
      if (scen.dynamics) {
        const vol1 = shockedVol(market, scen, i, s);
        if (!(vol1 > 0 && vol1 <= MAX_SHOCKED_VOL)) {
          throw new InputError(`${market.source}: ${at}: in ${scenarioName(scen, s)} the vol moves take its vol from ${ins(market).vol[i]} `
            + `to ${Number(vol1.toPrecision(6))}; a shocked vol must be > 0 and <= ${MAX_SHOCKED_VOL} (${MAX_SHOCKED_VOL * 100} % a year)`,
          { file: market.source, path: at });
        }
      }
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
  return { arena, ptr: layout.ptr, nInstruments: layout.nInstruments, nScen: layout.nScen, stride: layout.stride, row: layout.blocks.row };
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

/** A copy of the cube in instrument order (row i is instrument i): for references and tests. */
export function cubeByInstrument(cube: Cube): Float64Array {
  const v = cubeView(cube), stride = cube.stride, out = new Float64Array(cube.nInstruments * stride);
  for (let i = 0; i < cube.nInstruments; i++) out.set(v.subarray(cube.row[i] * stride, (cube.row[i] + 1) * stride), i * stride);
  return out;
}

const ins = (m: ResolvedMarket) => m.instruments;

/** The vol of option i in scenario s under the set's dynamics (the kernel's formula, by its TypeScript twin). */
function shockedVol(market: ResolvedMarket, scen: ScenarioSet, i: number, s: number): number {
  return shockedVolRef(market, scen, i, s);
}
