/**
 * Scenario-grid margin (docs/methods.md §4) for one market: scenarios and cube built once, then
 * each portfolio is aggregated per underlying (kernel `aggregate`), reduced to group requirements
 * (kernel `gridReduce`) and charged by the margin policy (option minimums, maintenance ratio).
 *
 * The policy lives in one place, `marginResolved`, which works on resolved, netted positions and
 * writes plain numbers (a GridBreakdown): `margin()` resolves a portfolio, calls it and builds the
 * result object; the batch engine's workers call the same method over a cube they share.
 */
import { STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import type { GridInput, GridSpec, ResolvedMarket } from '../market/types.js';
import { checkMarket, checkOptions } from '../options.js';
import { resolveMethod, type MethodSetup } from './setup.js';
import { buildGridScenarios, type GridScenarioSet } from '../scenarios/grid.js';
import { buildCube, checkCube, type Cube } from '../cube/cube.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { Netter } from '../portfolio/net.js';
import type { GridMarginResult, GroupCharge } from '../results.js';
import { show, type ErrorCode } from '../errors.js';
import { marginEach, marginPortfolio, type MarginModel, type PortfolioLike } from './model.js';
import { valueTable } from '../kernels/valuation.js';
import {
  gridInitialMargin, groupCharge, isOption, longMinimumPerContract, maintenanceMargin, optionMinimum,
} from '../policy/grid.js';

/** Why a portfolio's P&L can be NaN or infinite when every cube cell is finite. */
export const NOT_FINITE_WHY = 'a quantity times a contract\'s P&L overflows a float64 (a quantity too large?)';
/** The reason marginResolved (and the tail models) give for a NaN or infinite portfolio P&L. */
export const NOT_FINITE_PNL = `the portfolio's P&L is not finite (NaN or infinite) in some scenario: ${NOT_FINITE_WHY}`;

/**
 * The first of positions instr[from..to) that settles inverse, or -1: the run methods (grid, es,
 * fhs) margin in the market's currency and cannot margin a coin-settled contract.
 */
export function firstInverse(market: ResolvedMarket, instr: ArrayLike<number>, from: number, to: number): number {
  const inverse = market.instruments.inverse;
  if (!inverse) return -1;
  for (let p = from; p < to; p++) if (inverse[instr[p]] === 1) return instr[p];
  return -1;
}

/** The reason of the error row of a portfolio holding inverse instrument i under `method`. */
export function inverseMessage(market: ResolvedMarket, i: number, method: string): string {
  return `instrument ${show(market.instruments.ids[i])} settles inverse (in its coin): the ${method} method margins every position `
    + `in ${market.currency} and cannot margin an inverse contract; margin it with \`margin-engine accounts\`, in a coin-margined account`;
}

export interface GridModelOptions {
  /** The grid (validated, or its JSON form: validated here against the market); default the market's `risk.grid`. */
  grid?: GridSpec | GridInput;
  /** Kernels to use (with their memory); default a fresh instance of the compiled module. */
  kernels?: KernelExports;
  /**
   * The arena to allocate in (its kernels are used): for example a worker's arena in the batch
   * engine's shared memory. Default: a fresh arena over `kernels`.
   */
  arena?: Arena;
  /**
   * The cube of this market under this grid's scenarios, already built in the arena's memory
   * (the batch engine builds it once for all its workers). Default: built here.
   */
  cube?: Cube;
}

/**
 * Per product group of a grid margin, as columns: group g (of some range) is market group
 * `group[g]`, with its scan risk, option minimum, charge and worst point, and the underlyings
 * uStart[g] .. uStart[g+1]-1 (market underlying `underlying[k]`, loss at the worst point `loss[k]`).
 */
export interface GroupColumns {
  group: Int32Array;
  worstPoint: Int32Array;
  scanRisk: Float64Array;
  optionMinimum: Float64Array;
  charge: Float64Array;
  uStart: Int32Array;
  underlying: Int32Array;
  loss: Float64Array;
}

/** One portfolio's grid margin, as numbers: what marginResolved writes (reused between calls). */
export class GridBreakdown {
  initialMargin = 0;
  maintenanceMargin = 0;
  /** The worst point of the group with the largest charge; -1 for a portfolio with no group. */
  worstPoint = -1;
  /** Groups held, in order of first appearance: groups 0 .. nGroups-1 of `groups` are this portfolio's. */
  nGroups = 0;
  /** Underlyings held (entries of `groups.underlying` and `groups.loss`). */
  nUnderlyings = 0;
  readonly groups: GroupColumns;

  constructor(maxGroups: number, maxUnderlyings: number) {
    this.groups = {
      group: new Int32Array(maxGroups), worstPoint: new Int32Array(maxGroups), scanRisk: new Float64Array(maxGroups),
      optionMinimum: new Float64Array(maxGroups), charge: new Float64Array(maxGroups), uStart: new Int32Array(maxGroups + 1),
      underlying: new Int32Array(maxUnderlyings), loss: new Float64Array(maxUnderlyings),
    };
  }
}

/** The group charges of groups gFrom .. gTo-1 of `cols`, as result objects (ids from the market). */
export function groupCharges(market: ResolvedMarket, cols: GroupColumns, gFrom: number, gTo: number): GroupCharge[] {
  const groups: GroupCharge[] = [];
  for (let g = gFrom; g < gTo; g++) {
    const underlyings: GroupCharge['underlyings'] = [];
    for (let k = cols.uStart[g]; k < cols.uStart[g + 1]; k++) {
      underlyings.push({ underlying: market.underlyings.ids[cols.underlying[k]], loss: cols.loss[k] });
    }
    groups.push({
      group: market.groups.ids[cols.group[g]], scanRisk: cols.scanRisk[g], optionMinimum: cols.optionMinimum[g],
      charge: cols.charge[g], worstPoint: cols.worstPoint[g], underlyings,
    });
  }
  return groups;
}

/** Working memory for one portfolio in the arena, reused between calls and grown on demand. */
interface Scratch {
  capPositions: number;
  capRows: number;
  posInstr: number; posQty: number; posRow: number;
  rowGroup: number; offsets: number; pnl: number; out: number;
  /** Views on the regions above (a shared memory's views stay valid when it grows). */
  vInstr: Int32Array; vQty: Float64Array; vRow: Int32Array; vRowGroup: Int32Array; vOffsets: Float64Array; vOut: Float64Array;
}

export class GridModel implements MarginModel {
  readonly method = 'grid' as const;
  readonly market: ResolvedMarket;
  readonly spec: GridSpec;
  readonly scenarios: GridScenarioSet;
  readonly cube: Cube;
  private readonly arena: Arena;
  private readonly scenPointPtr: number;
  private readonly coverPtr: number;
  private readonly scratchMark: number;
  private scratch!: Scratch;
  /** Per group: offset, by group index of the market. */
  private readonly groupOffset: Float64Array;
  /** Per underlying: its row in the current portfolio, -1 when absent (reset after each call). */
  private readonly rowOf: Int32Array;
  private readonly slotOfGroup: Int32Array;
  /** The current portfolio's underlyings by row, groups by slot, option units by slot. */
  private readonly rowU: Int32Array;
  private readonly slotG: Int32Array;
  private readonly shortUnits: Float64Array;
  /** Per group slot: the long option minimum of the portfolio's long options (each capped at its value). */
  private readonly longMinimum: Float64Array;
  /**
   * Per instrument: the long option minimum of one contract, min(longOptionMinimum x contractSize,
   * the contract's market value) for an option (FINRA Rule 4210(g): the minimum on a long option
   * never exceeds its market value), 0 otherwise.
   */
  readonly longMinimumPerContract: Float64Array;
  /** What marginNetted reads marginResolved's numbers from. */
  private readonly breakdown: GridBreakdown;
  /** margin()'s netting (docs/methods.md §3), into arrays reused between calls. */
  readonly netter: Netter;

  constructor(market: ResolvedMarket, options: GridModelOptions = {}) {
    checkMarket(market, 'createGridModel');
    options = checkOptions(options, 'createGridModel');
    const setup = resolveMethod(market, { method: 'grid', grid: options.grid, stress: null });
    const spec = (setup as MethodSetup & { method: 'grid' }).spec;
    this.market = market;
    this.spec = spec;
    this.scenarios = buildGridScenarios(market, spec);
    this.arena = options.arena ?? new Arena(options.kernels ?? instantiateKernels());
    if (options.cube) checkCube(options.cube, market, this.scenarios);
    this.cube = options.cube ?? buildCube(this.arena, market, this.scenarios);
    this.scenPointPtr = this.arena.putI32(this.scenarios.point);
    this.coverPtr = this.arena.putF64(this.scenarios.cover);
    this.scratchMark = this.arena.mark();
    this.groupOffset = Float64Array.from(market.groups.ids, (g) => spec.groups.get(g)?.offset ?? 0);
    const nU = market.underlyings.ids.length, nG = market.groups.ids.length;
    this.rowOf = new Int32Array(nU).fill(-1);
    this.slotOfGroup = new Int32Array(nG).fill(-1);
    this.rowU = new Int32Array(nU);
    this.slotG = new Int32Array(nG);
    this.shortUnits = new Float64Array(nG);
    this.longMinimum = new Float64Array(nG);
    this.longMinimumPerContract = longMinimumPerContract(spec, market.instruments.kind, market.instruments.contractSize,
      spec.longOptionMinimum === 0 || market.instruments.ids.length === 0 ? undefined
        : valueTable(this.arena, market.table, market.instruments.ids.length));
    this.breakdown = new GridBreakdown(nG, nU);
    this.netter = new Netter(market);
    this.allocScratch(64, Math.min(8, Math.max(1, nU)));
  }

  /** A model over a cube already built in `arena`'s memory (see GridModelOptions.cube). */
  static overCube(market: ResolvedMarket, grid: GridSpec, arena: Arena, cube: Cube): GridModel {
    return new GridModel(market, { grid, arena, cube });
  }

  private allocScratch(capPositions: number, capRows: number): void {
    const a = this.arena;
    a.release(this.scratchMark);
    const nP = this.scenarios.nPoints;
    const posInstr = a.allocI32(capPositions), posQty = a.allocF64(capPositions), posRow = a.allocI32(capPositions);
    const rowGroup = a.allocI32(capRows), offsets = a.allocF64(capRows), pnl = a.allocF64(capRows * this.scenarios.stride);
    const outLen = 2 * capRows + 2 * capRows * nP;
    const out = a.allocF64(outLen);
    this.scratch = {
      capPositions, capRows, posInstr, posQty, posRow, rowGroup, offsets, pnl, out,
      vInstr: a.i32(posInstr, capPositions), vQty: a.f64(posQty, capPositions), vRow: a.i32(posRow, capPositions),
      vRowGroup: a.i32(rowGroup, capRows), vOffsets: a.f64(offsets, capRows), vOut: a.f64(out, outLen),
    };
  }

  /**
   * The margin policy on resolved, netted positions instr[from..to) (instrument indices of the
   * market) with quantities qty[from..to): writes the result into `out` and returns undefined, or
   * returns the reason (one line, an internal error) when a kernel fails or the margin is not
   * finite. The same code serves margin() and the batch engine's workers.
   */
  marginResolved(instr: ArrayLike<number>, qty: ArrayLike<number>, from: number, to: number, out: GridBreakdown): string | undefined {
    const nPos = to - from;
    const ins = this.market.instruments;
    const inv = firstInverse(this.market, instr, from, to);
    if (inv >= 0) { this.lastErrorCode = 'E_PORTFOLIO'; return inverseMessage(this.market, inv, 'grid'); }
    const und = this.market.underlyings;
    const nUMarket = this.rowU.length;
    if (nPos > this.scratch.capPositions || Math.min(nPos, nUMarket) > this.scratch.capRows) {
      this.allocScratch(Math.max(nPos, this.scratch.capPositions * 2), Math.min(nUMarket, Math.max(nPos, this.scratch.capRows * 2)));
    }
    const s = this.scratch;
    const rowOf = this.rowOf, slotOfGroup = this.slotOfGroup, rowU = this.rowU, slotG = this.slotG;
    const cubeRow = this.cube.row;
    // Rows: one per underlying held; group slots: one per product group held.
    let nRows = 0, nGroups = 0;
    for (let p = 0; p < nPos; p++) {
      const i = instr[from + p];
      const u = ins.underlying[i];
      if (rowOf[u] < 0) {
        rowOf[u] = nRows;
        rowU[nRows++] = u;
        const g = und.group[u];
        if (slotOfGroup[g] < 0) { slotOfGroup[g] = nGroups; slotG[nGroups++] = g; }
      }
      s.vInstr[p] = cubeRow[i];
      s.vQty[p] = qty[from + p];
      s.vRow[p] = rowOf[u];
    }
    try {
      const k = this.arena.kernels, sc = this.scenarios, nP = sc.nPoints;
      const rowGroup = s.vRowGroup;
      for (let r = 0; r < nRows; r++) rowGroup[r] = slotOfGroup[und.group[rowU[r]]];
      for (let g = 0; g < nGroups; g++) s.vOffsets[g] = this.groupOffset[slotG[g]];

      let status = k.aggregate(this.cube.ptr, sc.stride, sc.nScen, s.posInstr, s.posQty, s.posRow, nPos, s.pnl, nRows);
      if (status === STATUS_OK) {
        status = k.gridReduce(s.pnl, sc.stride, nRows, s.rowGroup, nGroups, s.offsets, this.scenPointPtr, sc.nScen,
          this.coverPtr, nP, s.out);
      }
      if (status === STATUS_NOT_FINITE) { this.lastErrorCode = 'E_PORTFOLIO'; return NOT_FINITE_PNL; }
      if (status !== STATUS_OK) { this.lastErrorCode = 'E_INTERNAL'; return `grid kernel returned status ${status}`; }
      const o = s.vOut;
      const Lbase = 2 * nGroups + nGroups * nP;

      // Option minimums per group slot.
      // Short options: shortOptionMinimum per unit; long options: longOptionMinimum per unit, each
      // position's term capped at its market value.
      const shortUnits = this.shortUnits, longMinimum = this.longMinimum, longPer = this.longMinimumPerContract;
      for (let g = 0; g < nGroups; g++) { shortUnits[g] = 0; longMinimum[g] = 0; }
      for (let p = 0; p < nPos; p++) {
        const i = instr[from + p];
        if (!isOption(ins.kind[i])) continue;
        const g = rowGroup[s.vRow[p]];
        const q = qty[from + p];
        if (q < 0) shortUnits[g] -= q * ins.contractSize[i]; else longMinimum[g] += q * longPer[i];
      }
      const spec = this.spec;
      const G = out.groups;
      let initial = 0, worstPoint = -1, worstCharge = -Infinity, nU = 0;
      for (let g = 0; g < nGroups; g++) {
        const scanRisk = o[g];
        const wp = o[nGroups + g];
        const optionMinimum = spec.shortOptionMinimum * shortUnits[g] + longMinimum[g];
        const charge = groupCharge(scanRisk, optionMinimum);
        G.group[g] = slotG[g];
        G.scanRisk[g] = scanRisk;
        G.optionMinimum[g] = optionMinimum;
        G.charge[g] = charge;
        G.worstPoint[g] = wp;
        G.uStart[g] = nU;
        for (let r = 0; r < nRows; r++) {
          if (rowGroup[r] === g) { G.underlying[nU] = rowU[r]; G.loss[nU] = o[Lbase + r * nP + wp]; nU++; }
        }
        initial += charge;
        if (charge > worstCharge) { worstCharge = charge; worstPoint = wp; }
      }
      G.uStart[nGroups] = nU;
      if (!Number.isFinite(initial)) { this.lastErrorCode = 'E_PORTFOLIO'; return `the margin is not finite (${initial}): ${NOT_FINITE_WHY}`; }
      out.nGroups = nGroups;
      out.nUnderlyings = nU;
      out.worstPoint = worstPoint;
      initial = gridInitialMargin(spec, initial);
      out.initialMargin = initial;
      out.maintenanceMargin = maintenanceMargin(spec.maintenanceRatio, initial);
      return undefined;
    } finally {
      for (let r = 0; r < nRows; r++) rowOf[rowU[r]] = -1;
      for (let g = 0; g < nGroups; g++) slotOfGroup[slotG[g]] = -1;
    }
  }

  /**
   * The option minimum of one netted position of `qty` contracts of instrument `i`: shortOptionMinimum
   * x |qty| x contractSize when short, qty x longMinimumPerContract[i] when long, 0 for a non-option.
   */
  optionMinimumOf(i: number, qty: number): number {
    const ins = this.market.instruments;
    return optionMinimum(this.spec, ins.kind[i], qty, ins.contractSize[i], this.longMinimumPerContract[i]);
  }

  /** The code of the reason marginResolved last returned: E_PORTFOLIO for a non-finite P&L, else E_INTERNAL. */
  lastErrorCode: ErrorCode = 'E_INTERNAL';

  /** A breakdown sized for this market (for callers of marginResolved). */
  newBreakdown(): GridBreakdown {
    return new GridBreakdown(this.market.groups.ids.length, this.market.underlyings.ids.length);
  }

  /**
   * The result of resolved, netted positions instr[from..to) with quantities qty[from..to) under
   * the id `id`: what margin() returns after netting, and what a batch worker returns.
   */
  marginNetted(id: string, instr: Int32Array, qty: Float64Array, from: number, to: number): GridMarginResult {
    const b = this.breakdown;
    const error = this.marginResolved(instr, qty, from, to, b);
    if (error !== undefined) return { ok: false, portfolio: id, method: 'grid', code: this.lastErrorCode, message: error };
    return {
      ok: true, portfolio: id, method: 'grid', initialMargin: b.initialMargin, maintenanceMargin: b.maintenanceMargin,
      worstPoint: b.worstPoint < 0 ? undefined : b.worstPoint, groups: groupCharges(this.market, b.groups, 0, b.nGroups),
      ...(this.spec.preset ? { preset: this.spec.preset } : {}),
    };
  }

  margin(portfolio: PortfolioLike): GridMarginResult {
    return marginPortfolio(this, this.netter, portfolio) as GridMarginResult;
  }

  marginAll(portfolios: Iterable<PortfolioLike>): GridMarginResult[] {
    return marginEach(this, portfolios) as GridMarginResult[];
  }
}

/** Builds a grid model: scenarios and cube for `market`, ready for `margin(portfolio)`. */
export function createGridModel(market: ResolvedMarket, options: GridModelOptions = {}): GridModel {
  return new GridModel(market, options);
}
