/**
 * Scenario-grid margin (contract section 4) for one market: scenarios and cube built once, then
 * each portfolio is aggregated per underlying (kernel `aggregate`), reduced to group requirements
 * (kernel `gridReduce`) and charged by the margin policy (option minimums, maintenance ratio).
 */
import { InputError } from '../errors.js';
import { KIND_CALL, KIND_PUT, STATUS_OK } from '../layout.js';
import type { GridSpec, ResolvedMarket } from '../market/types.js';
import { buildGridScenarios, type GridScenarioSet } from '../scenarios/grid.js';
import { buildCube, type Cube } from '../cube/cube.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { resolvePositions } from '../portfolio/resolve.js';
import type { GroupCharge, MarginResult } from '../results.js';
import { parseErrorResult, type MarginModel, type PortfolioLike } from '../model.js';

export interface GridModelOptions {
  /** The grid; default the market's `risk.grid`. */
  grid?: GridSpec;
  /** Kernels to use (with their memory); default a fresh instance of the compiled module. */
  kernels?: KernelExports;
}

/** Working memory for one portfolio, reused between calls and grown on demand. */
interface Scratch {
  capPositions: number;
  capRows: number;
  posInstr: number; posQty: number; posRow: number;
  rowGroup: number; offsets: number; pnl: number; out: number;
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

  constructor(market: ResolvedMarket, options: GridModelOptions = {}) {
    const spec = options.grid ?? market.risk.grid;
    if (!spec) {
      throw new InputError(`${market.source}: risk.grid: the grid method needs a risk.grid block (or a preset), found none`,
        { file: market.source, path: 'risk.grid' });
    }
    this.market = market;
    this.spec = spec;
    this.scenarios = buildGridScenarios(market, spec);
    this.arena = new Arena(options.kernels ?? instantiateKernels());
    this.cube = buildCube(this.arena, market, this.scenarios);
    this.scenPointPtr = this.arena.putI32(this.scenarios.point);
    this.coverPtr = this.arena.putF64(this.scenarios.cover);
    this.scratchMark = this.arena.mark();
    this.groupOffset = Float64Array.from(market.groups.ids, (g) => spec.groups.get(g)?.offset ?? 0);
    this.rowOf = new Int32Array(market.underlyings.ids.length).fill(-1);
    this.slotOfGroup = new Int32Array(market.groups.ids.length).fill(-1);
    this.allocScratch(64, 8);
  }

  private allocScratch(capPositions: number, capRows: number): void {
    const a = this.arena;
    a.release(this.scratchMark);
    const nP = this.scenarios.nPoints;
    this.scratch = {
      capPositions, capRows,
      posInstr: a.allocI32(capPositions), posQty: a.allocF64(capPositions), posRow: a.allocI32(capPositions),
      rowGroup: a.allocI32(capRows), offsets: a.allocF64(capRows), pnl: a.allocF64(capRows * this.scenarios.stride),
      out: a.allocF64(2 * capRows + 2 * capRows * nP),
    };
  }

  margin(portfolio: PortfolioLike): MarginResult {
    if (portfolio.positions === undefined) return parseErrorResult(portfolio, 'grid');
    const id = portfolio.id;
    const resolved = resolvePositions(this.market, portfolio.positions);
    if (typeof resolved === 'string') {
      return { ok: false, portfolio: id, method: 'grid', code: 'E_UNKNOWN_INSTRUMENT', message: resolved };
    }
    const { instr, qty } = resolved;
    const nPos = instr.length;
    const ins = this.market.instruments;
    const und = this.market.underlyings;

    // Rows: one per underlying held; group slots: one per product group held.
    const rowU: number[] = [];
    const slotG: number[] = [];
    const rowOfPos = new Int32Array(nPos);
    for (let p = 0; p < nPos; p++) {
      const u = ins.underlying[instr[p]];
      if (this.rowOf[u] < 0) {
        this.rowOf[u] = rowU.length;
        rowU.push(u);
        const g = und.group[u];
        if (this.slotOfGroup[g] < 0) { this.slotOfGroup[g] = slotG.length; slotG.push(g); }
      }
      rowOfPos[p] = this.rowOf[u];
    }
    try {
      const nRows = rowU.length, nGroups = slotG.length;
      if (nPos > this.scratch.capPositions || nRows > this.scratch.capRows) {
        this.allocScratch(Math.max(nPos, this.scratch.capPositions * 2), Math.max(nRows, this.scratch.capRows * 2));
      }
      const a = this.arena, s = this.scratch, k = a.kernels, sc = this.scenarios, nP = sc.nPoints;
      a.i32(s.posInstr, nPos).set(instr);
      a.f64(s.posQty, nPos).set(qty);
      a.i32(s.posRow, nPos).set(rowOfPos);
      const rowGroup = a.i32(s.rowGroup, nRows);
      for (let r = 0; r < nRows; r++) rowGroup[r] = this.slotOfGroup[und.group[rowU[r]]];
      const offsets = a.f64(s.offsets, nGroups);
      for (let g = 0; g < nGroups; g++) offsets[g] = this.groupOffset[slotG[g]];

      let status = k.aggregate(this.cube.ptr, sc.stride, sc.nScen, s.posInstr, s.posQty, s.posRow, nPos, s.pnl, nRows);
      if (status === STATUS_OK) {
        status = k.gridReduce(s.pnl, sc.stride, nRows, s.rowGroup, nGroups, s.offsets, this.scenPointPtr, sc.nScen,
          this.coverPtr, nP, s.out);
      }
      if (status !== STATUS_OK) {
        return { ok: false, portfolio: id, method: 'grid', code: 'E_INTERNAL', message: `grid kernel returned status ${status}` };
      }
      const out = a.f64(s.out, 2 * nGroups + nGroups * nP + nRows * nP);
      const Lbase = 2 * nGroups + nGroups * nP;

      // Option minimums per group slot.
      const shortUnits = new Float64Array(nGroups), longUnits = new Float64Array(nGroups);
      for (let p = 0; p < nPos; p++) {
        const i = instr[p];
        if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
        const g = rowGroup[rowOfPos[p]];
        const units = qty[p] * ins.contractSize[i];
        if (units < 0) shortUnits[g] -= units; else longUnits[g] += units;
      }
      const groups: GroupCharge[] = [];
      let initial = 0, worstPoint: number | undefined, worstCharge = -Infinity;
      for (let g = 0; g < nGroups; g++) {
        const scanRisk = out[g];
        const wp = out[nGroups + g];
        const optionMinimum = this.spec.shortOptionMinimum * shortUnits[g] + this.spec.longOptionMinimum * longUnits[g];
        const charge = Math.max(scanRisk, optionMinimum);
        const underlyings: GroupCharge['underlyings'] = [];
        for (let r = 0; r < nRows; r++) {
          if (rowGroup[r] === g) underlyings.push({ underlying: und.ids[rowU[r]], loss: out[Lbase + r * nP + wp] });
        }
        groups.push({ group: this.market.groups.ids[slotG[g]], scanRisk, optionMinimum, charge, worstPoint: wp, underlyings });
        initial += charge;
        if (charge > worstCharge) { worstCharge = charge; worstPoint = wp; }
      }
      if (!Number.isFinite(initial)) {
        return { ok: false, portfolio: id, method: 'grid', code: 'E_INTERNAL', message: `margin is not finite (${initial})` };
      }
      return {
        ok: true, portfolio: id, method: 'grid', initialMargin: initial,
        maintenanceMargin: this.spec.maintenanceRatio * initial, worstPoint, groups,
      };
    } finally {
      for (const u of rowU) this.rowOf[u] = -1;
      for (const g of slotG) this.slotOfGroup[g] = -1;
    }
  }

  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[] {
    const results: MarginResult[] = [];
    for (const p of portfolios) results.push(this.margin(p));
    return results;
  }
}

/** Builds a grid model: scenarios and cube for `market`, ready for `margin(portfolio)`. */
export function createGridModel(market: ResolvedMarket, options: GridModelOptions = {}): GridModel {
  return new GridModel(market, options);
}
