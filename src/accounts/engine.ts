/**
 * The scenario side of the account layer: one market, its scenario set (grid points or Monte
 * Carlo draws) and a live P&L cube that can be rebuilt one underlying at a time when a spot or a
 * vol moves. The cube is the models' cube (src/cube/cube.ts: blocked by underlying, its inputs
 * kept so that a block can be rebuilt), the requirements the models' policies (src/policy/grid.ts
 * over the gridReduce kernel, the esTail kernel for ES).
 *
 * Engine index e is the cube row: instruments underlying by underlying, so that the rows of one
 * underlying are one contiguous block of the cube with its own small instrument table: a tick on
 * BTC is one block rebuild (`revalue`) and one `valueInstruments` call over BTC's block.
 *
 * Everything here is in the market's currency; account.ts converts to an account's numeraire.
 */
import { InputError } from '../errors.js';
import {
  COL_CS, COL_F, COL_S, COL_VOL, KIND_CALL, KIND_PUT, KIND_SPOT, NGREEKS, OUT_VALUE, STATUS_NOT_FINITE, STATUS_OK,
} from '../layout.js';
import type { EsSpec, GridSpec, ResolvedMarket } from '../market/types.js';
import { groupOffsets } from '../market/grid-spec.js';
import { buildGridScenarios } from '../scenarios/grid.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import { cubeOf, layoutCube, rebuildBlock, rewriteDynamicsBlock, type Cube, type CubeLayout } from '../cube/cube.js';
import { surfaceVol } from '../surface/surface.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { gridInitialMargin, groupCharge, longMinimumOf, type GridPolicy } from '../policy/grid.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { cloneMarket, type AccountMarket } from './market.js';
import type { AccountMethod, AssetSpec } from './types.js';

/** Instrument classes of the account layer. */
export const CLS_SPOT = 0;
export const CLS_LINEAR = 1;
/** Inverse future or perpetual: its cube row is per coin of exposure (see market.ts). */
export const CLS_INVERSE = 2;
export const CLS_OPTION = 3;

export interface EngineOptions {
  /** Default 'grid'. */
  method?: AccountMethod;
  /** The grid (default the market's risk.grid). */
  grid?: GridSpec;
  /** The ES block (default the market's risk.es). */
  es?: EsSpec;
  kernels?: KernelExports;
}

function internal(message: string): Error {
  return Object.assign(new Error(message), { code: 'E_INTERNAL' });
}

export class ScenarioEngine {
  readonly method: AccountMethod;
  /** The engine's own copy of the market: spots, vols and prices move with events. */
  readonly market: ResolvedMarket;
  /** By market instrument index. */
  readonly inverse: Uint8Array;
  readonly assets: AssetSpec[];
  readonly assetIndex: Map<string, number>;

  readonly nU: number;
  readonly nInstr: number;
  readonly nGroups: number;
  readonly nScen: number;
  readonly stride: number;
  /** Grid points (1 for ES: unused). */
  readonly nPoints: number;
  readonly maintenanceRatio: number;
  readonly confidence: number;
  readonly shortOptionMinimum: number;
  readonly longOptionMinimum: number;
  /**
   * Grid: the grid's marginMultiplier (the anti-procyclicality buffer of calibrate --apc buffer;
   * 1 when absent), applied to every requirement as the grid model applies it to its initial
   * margin (maintenance follows). ES: 1.
   */
  readonly marginMultiplier: number;
  /** Per group index of the market: the grid offset (0 for ES). */
  readonly offsets: Float64Array;
  /** Grid: point of each scenario, cover of each point. */
  readonly point: Int32Array;
  readonly cover: Float64Array;

  // Per engine instrument e.
  readonly mkt: Int32Array;
  readonly cls: Int32Array;
  readonly und: Int32Array;
  /** contractSize as written (an inverse linear instrument: its notional in the currency). */
  readonly cs: Float64Array;
  /** Value of one contract (0 for futures and perpetuals, marked to market). */
  readonly value: Float64Array;
  /** Standalone requirement per unit of row multiplier (contracts; coins for inverse), long and short. */
  readonly lossLong: Float64Array;
  readonly lossShort: Float64Array;
  // Per market instrument index i.
  readonly eOf: Int32Array;
  // Per underlying u: block of engine instruments [start, start + count).
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** Standalone requirement of one coin of u held as collateral. */
  readonly collCoef: Float64Array;
  /** spotMult[u * stride + s] (a copy of the arena's). */
  readonly spotMult: Float64Array;

  /** The P&L cube (engine index e = cube row), blocked by underlying, rebuilt a block at a time. */
  readonly cube: Cube;
  /** The grid's policy numbers (grid), or a policy that charges no option minimum (ES). */
  readonly policy: GridPolicy;
  private readonly layout: CubeLayout;
  private readonly arena: Arena;
  private readonly kernels: KernelExports;
  private readonly cubePtr: number;
  private readonly spotMultPtr: number;
  private readonly tablePtr: Int32Array;
  private readonly valuePtr: Int32Array;
  private readonly scenPointPtr: number;
  private readonly coverPtr: number;
  private readonly scratchMark: number;
  private capRows = 0;
  private pnlPtr = 0;
  private rowGroupPtr = 0;
  private offsetsPtr = 0;
  private outPtr = 0;
  private lossPtr = 0;
  private esOutPtr = 0;
  private gen = -1;
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** Per underlying: 1/(S m(s)) and 1/(S m(s)) - 1/S, built on demand, dropped when u moves. */
  private readonly convCache: (Float64Array | undefined)[];
  private readonly dInvCache: (Float64Array | undefined)[];
  private readonly slotOfGroup: Int32Array;

  constructor(am: AccountMarket, assets: Iterable<AssetSpec>, options: EngineOptions = {}) {
    const market = cloneMarket(am.market);
    this.market = market;
    this.inverse = am.inverse.slice();
    this.method = options.method ?? 'grid';
    this.assets = [...assets];
    this.assetIndex = new Map(this.assets.map((a, k) => [a.id, k]));
    this.kernels = options.kernels ?? instantiateKernels();
    this.arena = new Arena(this.kernels);
    const a = this.arena;
    const und = market.underlyings, ins = market.instruments;
    const nU = (this.nU = und.ids.length);
    const n = (this.nInstr = ins.ids.length);
    this.nGroups = market.groups.ids.length;

    let sc: ScenarioSet;
    if (this.method === 'grid') {
      const spec = options.grid ?? market.risk.grid;
      if (!spec) {
        throw new InputError(`${market.source}: risk.grid: the grid method needs a risk.grid block, found none`, { file: market.source, path: 'risk.grid' });
      }
      const g = buildGridScenarios(market, spec);
      sc = g;
      this.nScen = g.nScen; this.stride = g.stride; this.nPoints = g.nPoints;
      this.point = g.point; this.cover = g.cover;
      this.maintenanceRatio = spec.maintenanceRatio; this.confidence = NaN;
      this.shortOptionMinimum = spec.shortOptionMinimum; this.longOptionMinimum = spec.longOptionMinimum;
      this.marginMultiplier = spec.marginMultiplier ?? 1;
      this.policy = spec;
      this.offsets = groupOffsets(market, spec);
    } else {
      const spec = options.es ?? market.risk.es;
      if (!spec) {
        throw new InputError(`${market.source}: risk.es: the es method needs a risk.es block, found none`, { file: market.source, path: 'risk.es' });
      }
      const m = buildMonteCarloScenarios(a, market, spec);
      sc = m;
      this.nScen = m.nScen; this.stride = m.stride; this.nPoints = 1;
      this.point = new Int32Array(m.stride); this.cover = Float64Array.of(1);
      this.maintenanceRatio = spec.maintenanceRatio; this.confidence = spec.confidence;
      this.shortOptionMinimum = 0; this.longOptionMinimum = 0; this.marginMultiplier = 1;
      this.policy = { shortOptionMinimum: 0, longOptionMinimum: 0, maintenanceRatio: spec.maintenanceRatio };
      this.offsets = new Float64Array(this.nGroups);
    }
    this.spotMult = sc.spotMult.slice();

    // The cube laid out (blocked by underlying, inputs kept); built block by block below, once each
    // block's table holds the account layer's columns (inverse contracts per coin).
    const layout = (this.layout = layoutCube(a, market, sc));
    this.cube = cubeOf(a, layout);
    const blocks = layout.blocks;
    this.mkt = blocks.instrument; this.eOf = blocks.row;
    this.start = blocks.start; this.count = blocks.count;
    this.cls = new Int32Array(n); this.und = new Int32Array(n); this.cs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = this.mkt[k];
      const kind = ins.kind[i];
      this.cls[k] = kind === KIND_SPOT ? CLS_SPOT : kind === KIND_CALL || kind === KIND_PUT ? CLS_OPTION
        : this.inverse[i] ? CLS_INVERSE : CLS_LINEAR;
      this.und[k] = ins.underlying[i];
      this.cs[k] = ins.contractSize[i];
    }
    this.value = new Float64Array(n); this.lossLong = new Float64Array(n); this.lossShort = new Float64Array(n);
    this.collCoef = new Float64Array(nU);
    this.convCache = new Array(nU).fill(undefined);
    this.dInvCache = new Array(nU).fill(undefined);
    this.slotOfGroup = new Int32Array(this.nGroups).fill(-1);

    // Persistent arena regions after the cube's: scenario points and covers, per underlying its values.
    this.cubePtr = layout.ptr;
    this.spotMultPtr = layout.spotMult;
    this.tablePtr = layout.blockTable;
    this.scenPointPtr = a.putI32(this.point);
    this.coverPtr = a.putF64(this.cover);
    this.valuePtr = new Int32Array(nU);
    for (let u = 0; u < nU; u++) this.valuePtr[u] = a.allocF64(NGREEKS * Math.max(1, this.count[u]));
    this.scratchMark = a.mark();
    this.growScratch(8);
    this.views();
    for (let u = 0; u < nU; u++) {
      this.writeLinearColumns(u);
      this.refresh(u);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Memory

  private views(): void {
    if (this.gen === this.arena.generation && this.f64) return;
    this.f64 = new Float64Array(this.arena.memory.buffer);
    this.i32 = new Int32Array(this.arena.memory.buffer);
    this.gen = this.arena.generation;
  }

  private growScratch(rows: number): void {
    const a = this.arena;
    a.release(this.scratchMark);
    this.capRows = rows;
    this.pnlPtr = a.allocF64(rows * this.stride);
    this.rowGroupPtr = a.allocI32(rows);
    this.offsetsPtr = a.allocF64(rows);
    this.outPtr = a.allocF64(2 * rows + 2 * rows * this.nPoints);
    this.lossPtr = a.allocF64(this.stride);
    this.esOutPtr = a.allocF64(4);
    this.views();
  }

  /** A live view of the cube (engine order). */
  cubeRow(e: number): Float64Array {
    this.views();
    return this.f64.subarray((this.cubePtr >> 3) + e * this.stride, (this.cubePtr >> 3) + (e + 1) * this.stride);
  }

  /** The whole memory as f64 and the index of the cube's row 0 in it (for hot loops). */
  cubeMemory(): { mem: Float64Array; base: number } {
    this.views();
    return { mem: this.f64, base: this.cubePtr >> 3 };
  }

  // ---------------------------------------------------------------------------------------------
  // Prices

  /** Spot of underlying u. */
  spot(u: number): number { return this.market.underlyings.spot[u]; }
  /** Reference price F of a future or perpetual (engine index). */
  refPrice(e: number): number { return this.market.instruments.refPrice[this.mkt[e]]; }
  /**
   * The long option minimum of one contract of option e, in the currency: min(longOptionMinimum x
   * contractSize, its market value), the value floored at 0 (FINRA Rule 4210(g): the minimum on a
   * long option never exceeds its market value; the grid model's longMinimumPerContract). Read
   * from the current value, so it moves with the market.
   */
  longMinimumPerContract(e: number): number {
    return this.longOptionMinimum === 0 ? 0 : longMinimumOf(this.policy, this.cs[e], this.value[e]);
  }
  /** Price of an asset in the currency. */
  assetPrice(k: number): number {
    const a = this.assets[k];
    return a.kind === 'underlying' ? this.market.underlyings.spot[a.underlying] : a.price;
  }
  /** 1 / (S_u m_u(s)) for s < nScen (0 in the padding). */
  conv(u: number): Float64Array {
    let c = this.convCache[u];
    if (!c) {
      c = new Float64Array(this.stride);
      const S = this.spot(u), m = this.spotMult, o = u * this.stride;
      for (let s = 0; s < this.nScen; s++) c[s] = 1 / (S * m[o + s]);
      this.convCache[u] = c;
    }
    return c;
  }
  /** 1 / (S_u m_u(s)) - 1 / S_u for s < nScen (0 in the padding). */
  dInv(u: number): Float64Array {
    let d = this.dInvCache[u];
    if (!d) {
      const c = this.conv(u);
      d = new Float64Array(this.stride);
      const inv = 1 / this.spot(u);
      for (let s = 0; s < this.nScen; s++) d[s] = c[s] - inv;
      this.dInvCache[u] = d;
    }
    return d;
  }

  // ---------------------------------------------------------------------------------------------
  // Market moves (the caller has validated the values)

  /**
   * Whether the method's scenarios are sticky-moneyness (docs/methods.md §5.7): then a tick of u
   * also moves the vol of every option of u priced off u's surface to the surface's vol at its new
   * moneyness, as a snapshot at the new spot would price it; otherwise option vols stay as they are.
   */
  get stickyMoneyness(): boolean {
    return this.layout.dynamics?.stickyMoneyness ?? false;
  }

  /** Moves the spot of u; futures and perpetuals on u move with it (F' = F S'/S), and the options on those futures. */
  setSpot(u: number, spot: number): void {
    const und = this.market.underlyings, ins = this.market.instruments;
    const ratio = spot / und.spot[u];
    const n = this.nInstr;
    // The new prices of u's futures and perpetuals (checked and applied below).
    const price = (i: number) => ins.refPrice[i] * ratio;
    const reread = this.rereadVols(u, (i, f) => (f >= 0 ? price(f) : spot * Math.exp((und.rate[u] - und.yield[u]) * Math.max(ins.T[i], 0))),
      `spot ${spot} of ${und.ids[u]}`, `underlyings.${und.ids[u]}.spot`);
    und.spot[u] = spot;
    for (let k = this.start[u]; k < this.start[u] + this.count[u]; k++) {
      const i = this.mkt[k];
      this.market.table[COL_S * n + i] = spot;
      if (this.cls[k] === CLS_LINEAR || this.cls[k] === CLS_INVERSE) {
        ins.refPrice[i] = price(i);
        this.market.table[COL_F * n + i] = ins.refPrice[i];
      }
    }
    this.moveOptionsOnFutures(u, reread);
  }

  /** Sets the reference price of a future or perpetual (engine index), and so the options written on it. */
  setRefPrice(e: number, price: number): void {
    const i = this.mkt[e], u = this.und[e];
    const ins = this.market.instruments;
    const reread = this.rereadVols(u, (_, f) => (f === i ? price : NaN), `price ${price} of ${ins.ids[i]}`, `instruments.${ins.ids[i]}.price`);
    ins.refPrice[i] = price;
    this.market.table[COL_F * this.nInstr + i] = price;
    this.moveOptionsOnFutures(u, reread);
  }

  /**
   * Sticky moneyness (docs/methods.md §5.7): the surface vols, at their new forwards, of u's
   * surface-priced options whose forward `forward(i, future index or -1)` gives (NaN: the option
   * does not move); checked before anything moves, an InputError naming `what` when one is unusable.
   */
  private rereadVols(u: number, forward: (i: number, f: number) => number, what: string, path: string): [number, number][] {
    const und = this.market.underlyings, ins = this.market.instruments;
    const sf = und.surface?.[u];
    const out: [number, number][] = [];
    if (!this.stickyMoneyness || !sf || !ins.volFromSurface) return out;
    for (let k = this.start[u]; k < this.start[u] + this.count[u]; k++) {
      const i = this.mkt[k];
      if (ins.volFromSurface[i] !== 1) continue;
      const F = forward(i, ins.future?.[i] ?? -1);
      if (Number.isNaN(F)) continue;
      const v = surfaceVol(sf, ins.strike[i], ins.T[i], F);
      if (!(v > 0 && v <= 10)) {
        throw new InputError(`${what}: the surface of "${und.ids[u]}" gives no usable vol for ${ins.ids[i]} at the new forward ${F}: got ${v}`, { path });
      }
      out.push([i, v]);
    }
    return out;
  }

  /**
   * After u's spot or a future's price moved: the options on u's futures take their future's
   * price as their spot column (Black-76, docs/methods.md §3.3), the re-read vols are written,
   * and u's block is rewritten and revalued.
   */
  private moveOptionsOnFutures(u: number, reread: [number, number][]): void {
    const ins = this.market.instruments, n = this.nInstr, fut = ins.future;
    if (fut) {
      for (let k = this.start[u]; k < this.start[u] + this.count[u]; k++) {
        const i = this.mkt[k];
        if (fut[i] >= 0) this.market.table[COL_S * n + i] = ins.refPrice[fut[i]];
      }
    }
    for (const [i, v] of reread) {
      ins.vol[i] = v;
      this.market.table[COL_VOL * n + i] = v;
    }
    this.writeColumn(u, COL_S);
    this.writeColumn(u, COL_F);
    this.writeColumn(u, COL_VOL);
    this.writeLinearColumns(u);
    this.views();
    rewriteDynamicsBlock(this.f64, this.market, this.layout, u);
    this.refresh(u);
  }

  /** Sets the implied vols of options (engine indices) of one underlying. */
  setOptionVols(u: number, es: readonly number[], vols: readonly number[]): void {
    const fromSurface = this.market.instruments.volFromSurface;
    es.forEach((e, j) => {
      const i = this.mkt[e];
      this.market.instruments.vol[i] = vols[j];
      this.market.table[COL_VOL * this.nInstr + i] = vols[j];
      // A vol of its own from now on: no longer read from the surface (sticky moneyness).
      if (fromSurface) fromSurface[i] = 0;
    });
    this.writeColumn(u, COL_VOL);
    this.views();
    rewriteDynamicsBlock(this.f64, this.market, this.layout, u);
    this.refresh(u);
  }

  /**
   * Sets the annualised vol of underlying u. ES: its simulated multipliers become
   * m^(vol'/vol) (the same normal or Student-t draws scaled to the new vol), and its block is
   * revalued. Grid: no number depends on it.
   */
  setUnderlyingVol(u: number, vol: number): void {
    const und = this.market.underlyings;
    const old = und.vol[u];
    und.vol[u] = vol;
    if (this.method !== 'es') return;
    const p = vol / old, o = u * this.stride;
    this.views();
    const mp = this.spotMultPtr >> 3;
    for (let s = 0; s < this.nScen; s++) {
      const m = Math.exp(Math.log(this.spotMult[o + s]) * p);
      this.spotMult[o + s] = m;
      this.f64[mp + o + s] = m;
    }
    this.refresh(u);
  }

  private writeColumn(u: number, c: number): void {
    this.views();
    const nu = this.count[u], t = this.tablePtr[u] >> 3, n = this.nInstr;
    for (let j = 0; j < nu; j++) this.f64[t + c * nu + j] = this.market.table[c * n + this.mkt[this.start[u] + j]];
  }

  /**
   * Inverse futures and perpetuals: a row per coin of exposure Q, in the currency. A position's coin
   * value is Q - qN/F (the contract's N (1/e - 1/F) per contract), worth S (Q - qN/F) in the currency;
   * with F' = F m and S' = S m in scenario s its currency value is Q S m - qN S/F, so its P&L is
   * Q S (m - 1): the row of one coin is S (m - 1) (contract size 1, the F column set to the spot S),
   * whatever the basis F/S.
   */
  private writeLinearColumns(u: number): void {
    this.views();
    const nu = this.count[u], t = this.tablePtr[u] >> 3, S = this.spot(u);
    for (let j = 0; j < nu; j++) {
      if (this.cls[this.start[u] + j] === CLS_INVERSE) {
        this.f64[t + COL_CS * nu + j] = 1;
        this.f64[t + COL_F * nu + j] = S;
      }
    }
  }

  /** Revalues u's block of the cube, values its instruments and recomputes its standalone coefficients. */
  private refresh(u: number): void {
    const nu = this.count[u];
    this.convCache[u] = undefined;
    this.dInvCache[u] = undefined;
    const k = this.kernels, stride = this.stride;
    if (nu > 0) {
      if (!rebuildBlock(k, this.layout, u)) throw internal(`revalue returned status ${STATUS_NOT_FINITE} for underlying ${this.market.underlyings.ids[u]}`);
      let st = k.valueInstruments(this.tablePtr[u], nu, this.valuePtr[u]);
      // American rows over the European values (docs/methods.md §3.6).
      if (st === STATUS_OK) st = k.valueAmerican(this.tablePtr[u], nu, this.valuePtr[u]);
      if (st !== STATUS_OK) throw internal(`revalue/valueInstruments returned status ${st} for underlying ${this.market.underlyings.ids[u]}`);
    }
    this.views();
    const mem = this.f64;
    const vb = (this.valuePtr[u] >> 3) + OUT_VALUE * nu;
    for (let j = 0; j < nu; j++) {
      const e = this.start[u] + j;
      this.value[e] = mem[vb + j];
      const row = (this.cubePtr >> 3) + e * stride;
      this.lossLong[e] = Math.max(0, this.loneLoss(mem, row, -1));
      this.lossShort[e] = Math.max(0, this.loneLoss(mem, row, 1));
    }
    // One coin of u: P&L S (m - 1).
    const S = this.spot(u), unit = new Float64Array(stride), o = u * stride;
    for (let s = 0; s < this.nScen; s++) unit[s] = S * (this.spotMult[o + s] - 1);
    this.collCoef[u] = Math.max(0, this.loneLoss(unit, 0, -1));
  }

  /**
   * The requirement of `sign` x the P&L row at `mem[row..]` margined alone (before the 0 floor):
   * grid `max_j cover_j max_{s in j} (-sign... )`, ES the expected shortfall of its losses.
   * sign -1: a long unit (loss = -P&L); sign +1: a short unit (loss = +P&L).
   */
  private loneLoss(mem: Float64Array, row: number, sign: number): number {
    const nS = this.nScen;
    if (this.method === 'grid') {
      // The grid policy's scan risk of one row alone (one group, no offset): max(0, max_j L[j]).
      this.views();
      const pb = this.pnlPtr >> 3, f = this.f64;
      for (let s = 0; s < nS; s++) f[pb + s] = -sign * mem[row + s];
      this.i32[this.rowGroupPtr >> 2] = 0;
      f[this.offsetsPtr >> 3] = 0;
      const st = this.kernels.gridReduce(this.pnlPtr, this.stride, 1, this.rowGroupPtr, 1, this.offsetsPtr, this.scenPointPtr, nS,
        this.coverPtr, this.nPoints, this.outPtr);
      if (st !== STATUS_OK) throw internal(`gridReduce returned status ${st}`);
      return this.f64[this.outPtr >> 3];
    }
    this.views();
    const lp = this.lossPtr >> 3;
    for (let s = 0; s < nS; s++) this.f64[lp + s] = sign * mem[row + s];
    return this.tail();
  }

  /** ES of the nScen losses at the loss scratch (reordered). */
  private tail(): number {
    const st = this.kernels.esTail(this.lossPtr, this.nScen, this.confidence, this.esOutPtr);
    if (st !== STATUS_OK) throw internal(`esTail returned status ${st}: the losses hold NaN or infinite values`);
    this.views();
    return this.f64[(this.esOutPtr >> 3) + 1];
  }

  // ---------------------------------------------------------------------------------------------
  // Reductions

  /**
   * The portfolio requirement (currency-free: in the rows' unit) of `nRows` scenario P&L rows
   * (`rows[r * stride + s]`, row r on underlying rowU[r]). Grid: the group requirements of
   * docs/methods.md §4 with the option minimums `optMin[g]` (already in the rows' unit, by market group
   * index; null for none) added as max(R_g, M_g), the sum times the grid's marginMultiplier (as
   * the grid model's initial margin). ES: max(ES of the summed losses, 0).
   */
  reduce(rows: Float64Array, rowU: ArrayLike<number>, nRows: number, optMin: Float64Array | null): number {
    const stride = this.stride, nS = this.nScen;
    if (nRows === 0) {
      return 0;
    }
    if (this.method === 'es') {
      this.views();
      const lp = this.lossPtr >> 3, mem = this.f64;
      for (let s = 0; s < nS; s++) mem[lp + s] = -rows[s];
      for (let r = 1; r < nRows; r++) {
        const o = r * stride;
        for (let s = 0; s < nS; s++) mem[lp + s] -= rows[o + s];
      }
      return Math.max(0, this.tail());
    }
    if (nRows > this.capRows) this.growScratch(Math.max(nRows, 2 * this.capRows));
    this.views();
    const mem = this.f64, i32 = this.i32;
    const pb = this.pnlPtr >> 3, len = nRows * stride;
    for (let i = 0; i < len; i++) mem[pb + i] = rows[i];
    const groupOf = this.market.underlyings.group;
    const slotOf = this.slotOfGroup;
    const rg = this.rowGroupPtr >> 2, off = this.offsetsPtr >> 3;
    let nG = 0;
    const slotG = SLOT_G.length >= nRows ? SLOT_G : (SLOT_G = new Int32Array(2 * nRows));
    for (let r = 0; r < nRows; r++) {
      const g = groupOf[rowU[r]];
      let sl = slotOf[g];
      if (sl < 0) { sl = slotOf[g] = nG; slotG[nG] = g; mem[off + nG] = this.offsets[g]; nG++; }
      i32[rg + r] = sl;
    }
    for (let k = 0; k < nG; k++) slotOf[slotG[k]] = -1;
    const st = this.kernels.gridReduce(this.pnlPtr, stride, nRows, this.rowGroupPtr, nG, this.offsetsPtr, this.scenPointPtr, nS,
      this.coverPtr, this.nPoints, this.outPtr);
    if (st !== STATUS_OK) throw internal(`gridReduce returned status ${st}`);
    const out = this.outPtr >> 3;
    let im = 0;
    for (let k = 0; k < nG; k++) im += groupCharge(this.f64[out + k], optMin ? optMin[slotG[k]] : 0);
    return gridInitialMargin(this.policy, im);
  }
}

/** Group scratch shared by reductions (single-threaded). */
let SLOT_G = new Int32Array(64);
