/**
 * An account in an engine: balances, cash, positions, and its scenario P&L rows (one row per
 * underlying it holds, in its numeraire), with the operations the margin book needs: build the
 * rows from the positions, add a trade or a transfer in O(scenarios), and evaluate equity,
 * requirements and statuses (docs/accounts.md gives every formula).
 *
 * Numeraire c with price P_c (1 for the currency, a fixed price, or the spot S_c of a coin):
 * every currency amount X counts X / P_c; in scenario s a coin is worth S_c m_c(s), so a
 * coin-margined account's P&L is W'(s) / (S_c m_c(s)) - W / S_c, where W is the account's value
 * in the currency (collateral at full value, positions' values) and W'(s) its value in s. Its rows
 * are P_u(s) / (S_c m_c(s)) per underlying u, and the numeraire's row carries W (1/(S_c m_c(s)) - 1/S_c).
 * The numeraire's own balance carries no risk in the numeraire: it is in no row, not in W, and is
 * no standalone item (its P&L b S_c (m_c - 1) / (S_c m_c) and its term b S_c (1/(S_c m_c) - 1/S_c)
 * cancel exactly in exact arithmetic, and would leave rounding noise of ~1e-17 in floating point).
 */
import type { ParsedAccount } from './types.js';
import {
  statusOf, worseStatus, type AccountMarginOk, type AccountStatus, type MarginMode, type ModeMargin, type StandaloneCharge,
} from './types.js';
import { CLS_INVERSE, CLS_LINEAR, CLS_OPTION, CLS_SPOT, type ScenarioEngine } from './engine.js';

/** A position: contracts q; for futures and perpetuals Q coins of exposure at a cost of C in the currency. */
export interface Position {
  /** Engine instrument index. */
  e: number;
  q: number;
  /** Linear: q x contractSize; inverse: sum of quantity x notional / trade price. 0 for options and spot. */
  Q: number;
  /** Linear: sum of quantity x contractSize x trade price; inverse: q x notional. 0 for options and spot. */
  C: number;
}

export class AccountState {
  readonly id: string;
  mode: MarginMode;
  /** Asset index of the numeraire. */
  readonly numeraire: number;
  /** Underlying index of a coin numeraire, -1 otherwise. */
  readonly coin: number;
  /** Balances by asset index (>= 0). */
  readonly balances = new Map<number, number>();
  /** Settled cash, in the numeraire. */
  cash: number;
  /** Positions by engine instrument index. */
  readonly positions = new Map<number, Position>();
  nRows = 0;
  rowU: Int32Array;
  rows: Float64Array;
  /** Row of each underlying, -1 when absent. */
  readonly rowOf: Int32Array;
  /**
   * Short option units (|quantity| x contractSize) by market group. The long option minimum is
   * not kept here: each long position's term is capped at its market value, which moves with the
   * market (see longOptionMinimums).
   */
  readonly optShort: Float64Array;
  /** Coin-margined: the currency value W the numeraire's row holds. */
  W = 0;
  /** The status under the account's mode after the last evaluation. */
  status: AccountStatus = 'healthy';

  constructor(id: string, mode: MarginMode, numeraire: number, coin: number, cash: number, nU: number, nGroups: number, stride: number) {
    this.id = id;
    this.mode = mode;
    this.numeraire = numeraire;
    this.coin = coin;
    this.cash = cash;
    this.rowU = new Int32Array(2);
    this.rows = new Float64Array(2 * stride);
    this.rowOf = new Int32Array(nU).fill(-1);
    this.optShort = new Float64Array(nGroups);
  }
}

/** Row multiplier of a position: contracts, or coins for an inverse future. */
export function mult(eng: ScenarioEngine, p: Position): number {
  return eng.cls[p.e] === CLS_INVERSE ? p.Q : p.q;
}

/**
 * Value of a position in the currency: q V for options and spot; the unrealised P&L of futures and
 * perpetuals: Q F - C for a linear one, and for an inverse one its coin value Q - C/F (the contract's
 * q N (1/e - 1/F)) at the coin's spot S.
 */
export function positionValue(eng: ScenarioEngine, p: Position): number {
  const c = eng.cls[p.e];
  if (c === CLS_OPTION || c === CLS_SPOT) return p.q * eng.value[p.e];
  if (c === CLS_INVERSE) return eng.spot(eng.und[p.e]) * (p.Q - p.C / eng.refPrice(p.e));
  return p.Q * eng.refPrice(p.e) - p.C;
}

/**
 * The account's value in the currency, without haircuts or cash: what a coin numeraire converts.
 * The numeraire's own balance is left out (it is worth the same number of coins in every scenario).
 */
export function accountValue(eng: ScenarioEngine, a: AccountState): number {
  let w = 0;
  for (const [k, b] of a.balances) if (k !== a.numeraire) w += b * eng.assetPrice(k);
  for (const p of a.positions.values()) w += positionValue(eng, p);
  return w;
}

/**
 * The haircut of asset k in account a: a haircut is for an asset held in another numeraire; the
 * numeraire itself has none (it counts in full in its own account).
 */
export function haircutIn(eng: ScenarioEngine, a: AccountState, k: number): number {
  return k === a.numeraire ? 0 : eng.assets[k].haircut;
}

/** Price of the account's numeraire in the currency. */
export function numerairePrice(eng: ScenarioEngine, a: AccountState): number {
  return eng.assetPrice(a.numeraire);
}

/** The position's Q and C for q contracts entered at `price` (per unit, currency). */
export function entryState(eng: ScenarioEngine, e: number, q: number, price: number): { Q: number; C: number } {
  const c = eng.cls[e];
  if (c === CLS_LINEAR) return { Q: q * eng.cs[e], C: q * eng.cs[e] * price };
  if (c === CLS_INVERSE) return { Q: (q * eng.cs[e]) / price, C: q * eng.cs[e] };
  return { Q: 0, C: 0 };
}

/** An account of a file, resolved in the engine, its rows built. */
export function createAccount(eng: ScenarioEngine, p: ParsedAccount): AccountState {
  const k = eng.assetIndex.get(p.numeraire);
  if (k === undefined) throw new Error(`numeraire ${p.numeraire} is not an asset of the engine`);
  const spec = eng.assets[k];
  const a = new AccountState(p.id, p.mode, k, spec.kind === 'underlying' ? spec.underlying : -1, p.cash, eng.nU, eng.nGroups, eng.stride);
  for (const [id, b] of p.collateral) {
    const ak = eng.assetIndex.get(id);
    if (ak === undefined) throw new Error(`asset ${id} is not an asset of the engine`);
    if (b !== 0) a.balances.set(ak, b);
  }
  const ins = eng.market.instruments;
  for (const pos of p.positions) {
    const i = ins.index.get(pos.instrument);
    if (i === undefined) throw new Error(`unknown instrument ${pos.instrument}`);
    const e = eng.eOf[i];
    if (pos.quantity === 0) continue;
    const { Q, C } = entryState(eng, e, pos.quantity, pos.price ?? eng.refPrice(e));
    a.positions.set(e, { e, q: pos.quantity, Q, C });
  }
  buildRows(eng, a);
  return a;
}

// -----------------------------------------------------------------------------------------------
// Rows

/** The row of underlying u, created (zero) when absent. */
export function rowFor(eng: ScenarioEngine, a: AccountState, u: number): number {
  let r = a.rowOf[u];
  if (r >= 0) return r;
  r = a.nRows++;
  const stride = eng.stride;
  if (r >= a.rowU.length) {
    const cap = 2 * a.rowU.length;
    const rowU = new Int32Array(cap); rowU.set(a.rowU); a.rowU = rowU;
    const rows = new Float64Array(cap * stride); rows.set(a.rows); a.rows = rows;
  }
  a.rowU[r] = u;
  a.rowOf[u] = r;
  a.rows.fill(0, r * stride, (r + 1) * stride);
  return r;
}

/** Removes the row of u (the last row takes its place). */
export function dropRow(eng: ScenarioEngine, a: AccountState, u: number): void {
  const r = a.rowOf[u];
  if (r < 0) return;
  const last = a.nRows - 1, stride = eng.stride;
  if (r !== last) {
    a.rows.copyWithin(r * stride, last * stride, (last + 1) * stride);
    a.rowU[r] = a.rowU[last];
    a.rowOf[a.rowU[r]] = r;
  }
  a.rowOf[u] = -1;
  a.nRows = last;
}

/** Whether the account holds anything on u (a position, a balance of u, or u as its numeraire). */
export function holds(eng: ScenarioEngine, a: AccountState, u: number): boolean {
  if (a.coin === u) return true;
  for (const p of a.positions.values()) if (eng.und[p.e] === u) return true;
  for (const [k, b] of a.balances) if (b !== 0 && eng.assets[k].underlying === u) return true;
  return false;
}

/** Adds `x` times the currency P&L row `src[srcAt..]` to row r, converted to the numeraire. */
function addConverted(eng: ScenarioEngine, a: AccountState, r: number, x: number, src: Float64Array, srcAt: number, scalar: number): void {
  const rows = a.rows, o = r * eng.stride, nS = eng.nScen;
  if (a.coin < 0) {
    const f = x * scalar;
    for (let s = 0; s < nS; s++) rows[o + s] += f * src[srcAt + s];
  } else {
    const c = eng.conv(a.coin);
    for (let s = 0; s < nS; s++) rows[o + s] += x * src[srcAt + s] * c[s];
  }
}

/** Adds b coins of underlying u (P&L b x S (m - 1), each scenario's S (m - 1) computed as the cube's kernel does) to row r. */
function addCoins(eng: ScenarioEngine, a: AccountState, r: number, b: number, u: number, scalar: number): void {
  const rows = a.rows, o = r * eng.stride, nS = eng.nScen, m = eng.spotMult, mo = u * eng.stride;
  const S = eng.spot(u);
  if (a.coin < 0) {
    const f = b * scalar;
    for (let s = 0; s < nS; s++) rows[o + s] += f * (S * (m[mo + s] - 1));
  } else {
    const c = eng.conv(a.coin);
    for (let s = 0; s < nS; s++) rows[o + s] += b * (S * (m[mo + s] - 1)) * c[s];
  }
}

/** Adds the numeraire term W (1/(S_c m_c) - 1/S_c) to the coin's row. */
function addNumeraireTerm(eng: ScenarioEngine, a: AccountState, W: number): void {
  if (a.coin < 0 || W === 0) return;
  const r = rowFor(eng, a, a.coin);
  const rows = a.rows, o = r * eng.stride, d = eng.dInv(a.coin), nS = eng.nScen;
  for (let s = 0; s < nS; s++) rows[o + s] += W * d[s];
}

/** Rebuilds every row and the option units from the positions and balances. */
export function buildRows(eng: ScenarioEngine, a: AccountState): void {
  for (let r = 0; r < a.nRows; r++) a.rowOf[a.rowU[r]] = -1;
  a.nRows = 0;
  a.optShort.fill(0);
  const scalar = 1 / numerairePrice(eng, a);
  const { mem, base } = eng.cubeMemory();
  for (const p of a.positions.values()) {
    const u = eng.und[p.e];
    const r = rowFor(eng, a, u);
    addConverted(eng, a, r, mult(eng, p), mem, base + p.e * eng.stride, scalar);
    addOptionUnits(eng, a, p.e, 0, p.q);
  }
  for (const [k, b] of a.balances) {
    const u = eng.assets[k].underlying;
    if (u >= 0 && b !== 0 && k !== a.numeraire) addCoins(eng, a, rowFor(eng, a, u), b, u, scalar);
  }
  if (a.coin >= 0) {
    rowFor(eng, a, a.coin);
    a.W = accountValue(eng, a);
    addNumeraireTerm(eng, a, a.W);
  }
}

/**
 * Rebuilds the row of u alone (after u's spot or vols moved). For a coin-margined account the
 * numeraire's row is rebuilt too (the account's value W moved); when u is the coin, every row is.
 */
export function rebuildUnderlying(eng: ScenarioEngine, a: AccountState, u: number): void {
  if (a.coin >= 0 && a.coin === u) { buildRows(eng, a); return; }
  rebuildRow(eng, a, u);
  if (a.coin >= 0) rebuildRow(eng, a, a.coin);
}

function rebuildRow(eng: ScenarioEngine, a: AccountState, u: number): void {
  const r = a.rowOf[u];
  if (r < 0) return;
  const stride = eng.stride;
  a.rows.fill(0, r * stride, (r + 1) * stride);
  const scalar = 1 / numerairePrice(eng, a);
  const { mem, base } = eng.cubeMemory();
  for (const p of a.positions.values()) {
    if (eng.und[p.e] === u) addConverted(eng, a, r, mult(eng, p), mem, base + p.e * stride, scalar);
  }
  for (const [k, b] of a.balances) if (eng.assets[k].underlying === u && b !== 0 && k !== a.numeraire) addCoins(eng, a, r, b, u, scalar);
  if (a.coin === u) {
    a.W = accountValue(eng, a);
    addNumeraireTerm(eng, a, a.W);
  }
}

function addOptionUnits(eng: ScenarioEngine, a: AccountState, e: number, q0: number, q1: number): void {
  if (eng.cls[e] !== CLS_OPTION) return;
  const g = eng.market.underlyings.group[eng.und[e]], cs = eng.cs[e];
  a.optShort[g] += (Math.max(-q1, 0) - Math.max(-q0, 0)) * cs;
}

// -----------------------------------------------------------------------------------------------
// Trades and transfers

/** What a trade does to a position and to cash, computed without changing anything. */
export interface TradeEffect {
  e: number;
  before: Position | undefined;
  after: Position;
  /** Cash change, in the numeraire: premiums paid or received, realised P&L. */
  dCash: number;
}

/**
 * The effect of buying dq contracts of engine instrument e at `price` (per unit of underlying, in
 * the currency). Options and spot: the premium dq x contractSize x price is paid from cash.
 * Futures and perpetuals: average-cost accounting; the closed part's P&L at `price` is realised
 * into cash.
 */
export function tradeEffect(eng: ScenarioEngine, a: AccountState, e: number, dq: number, price: number): TradeEffect {
  const before = a.positions.get(e);
  const q0 = before?.q ?? 0, Q0 = before?.Q ?? 0, C0 = before?.C ?? 0;
  const cls = eng.cls[e], cs = eng.cs[e];
  const Pc = numerairePrice(eng, a);
  if (cls === CLS_OPTION || cls === CLS_SPOT) {
    return { e, before, after: { e, q: q0 + dq, Q: 0, C: 0 }, dCash: (-dq * cs * price) / Pc };
  }
  let q1: number, Q1: number, C1: number, realised = 0, ownCoins = 0, inOwnCoin = false;
  if (q0 === 0 || Math.sign(dq) === Math.sign(q0)) {
    q1 = q0 + dq;
    const d = entryState(eng, e, dq, price);
    Q1 = Q0 + d.Q; C1 = C0 + d.C;
  } else {
    const closing = Math.min(Math.abs(dq), Math.abs(q0));
    const f = closing / Math.abs(q0);
    if (cls === CLS_INVERSE) {
      // Paid in coins: f (Q - C/p), the contract's q N (1/e - 1/p); at the coin's spot in the currency.
      const coins = f * (Q0 - C0 / price);
      const u = eng.und[e];
      if (a.coin === u) { ownCoins = coins; inOwnCoin = true; } else realised = coins * eng.spot(u);
    } else {
      realised = f * (Q0 * price - C0);
    }
    if (f === 1) { q1 = 0; Q1 = 0; C1 = 0; } else { q1 = q0 + dq; Q1 = Q0 * (1 - f); C1 = C0 * (1 - f); }
    const rem = Math.abs(dq) - closing;
    if (rem > 0) {
      q1 = Math.sign(dq) * rem;
      const d = entryState(eng, e, q1, price);
      Q1 = d.Q; C1 = d.C;
    }
  }
  if (cls === CLS_LINEAR) Q1 = q1 * cs;
  return { e, before, after: { e, q: q1, Q: Q1, C: C1 }, dCash: inOwnCoin ? ownCoins : realised / Pc };
}

/**
 * Applies a trade's effect: position, cash, rows (O(scenarios)) and option units. A position
 * closed to 0 is removed (and the row of an underlying no longer held), unless `keepEmpty` (a
 * what-if, which restores the account afterwards and must find its positions in their order).
 */
export function applyTrade(eng: ScenarioEngine, a: AccountState, t: TradeEffect, keepEmpty = false): void {
  const e = t.e, u = eng.und[e];
  const before = t.before ?? { e, q: 0, Q: 0, C: 0 };
  const dMult = mult(eng, t.after) - mult(eng, before);
  const r = rowFor(eng, a, u);
  const { mem, base } = eng.cubeMemory();
  addConverted(eng, a, r, dMult, mem, base + e * eng.stride, 1 / numerairePrice(eng, a));
  if (a.coin >= 0) {
    const dW = positionValue(eng, t.after) - positionValue(eng, before);
    a.W += dW;
    addNumeraireTerm(eng, a, dW);
  }
  addOptionUnits(eng, a, e, before.q, t.after.q);
  a.cash += t.dCash;
  if (t.after.q === 0 && !keepEmpty) {
    a.positions.delete(e);
    if (!holds(eng, a, u)) dropRow(eng, a, u);
  } else {
    a.positions.set(e, t.after);
  }
}

/** Changes the balance of asset k by `amount` (the caller checked it stays >= 0). */
export function applyTransfer(eng: ScenarioEngine, a: AccountState, k: number, amount: number): void {
  const b0 = a.balances.get(k) ?? 0;
  const b1 = b0 + amount;
  const spec = eng.assets[k];
  if (spec.kind === 'underlying' && k !== a.numeraire) {
    const u = spec.underlying;
    addCoins(eng, a, rowFor(eng, a, u), b1 - b0, u, 1 / numerairePrice(eng, a));
  }
  if (a.coin >= 0 && k !== a.numeraire) {
    const dW = (b1 - b0) * eng.assetPrice(k);
    a.W += dW;
    addNumeraireTerm(eng, a, dW);
  }
  if (b1 === 0) {
    a.balances.delete(k);
    if (spec.kind === 'underlying' && !holds(eng, a, spec.underlying)) dropRow(eng, a, spec.underlying);
  } else {
    a.balances.set(k, b1);
  }
}

// -----------------------------------------------------------------------------------------------
// Saving and restoring (what-if)

/** What trades on some instruments can change in an account: rows, short option units, W, cash and those positions. */
export interface SavedAccount {
  nRows: number;
  rowU: Int32Array;
  rows: Float64Array;
  rowOf: Int32Array;
  optShort: Float64Array;
  W: number;
  cash: number;
  /** The saved positions: engine index and the position (undefined when absent). */
  es: number[];
  positions: (Position | undefined)[];
}

/**
 * Saves what trades on instruments `es` can change (a what-if applies them, evaluates, restores).
 * `keep` is reused when large enough. Balances are not saved: trades do not touch them.
 */
export function saveAccount(a: AccountState, stride: number, es: readonly number[], keep?: SavedAccount): SavedAccount {
  const n = a.nRows;
  const s = keep && keep.rows.length >= a.rows.length && keep.rowU.length >= a.rowU.length && keep.rowOf.length === a.rowOf.length
    && keep.optShort.length === a.optShort.length
    ? keep
    : {
      nRows: 0, rowU: new Int32Array(a.rowU.length), rows: new Float64Array(a.rows.length), rowOf: new Int32Array(a.rowOf.length),
      optShort: new Float64Array(a.optShort.length), W: 0, cash: 0, es: [], positions: [],
    };
  s.nRows = n;
  for (let r = 0; r < n; r++) s.rowU[r] = a.rowU[r];
  const len = n * stride, src = a.rows, dst = s.rows;
  for (let i = 0; i < len; i++) dst[i] = src[i];
  s.rowOf.set(a.rowOf);
  s.optShort.set(a.optShort);
  s.W = a.W;
  s.cash = a.cash;
  s.es.length = 0;
  s.positions.length = 0;
  for (const e of es) { s.es.push(e); s.positions.push(a.positions.get(e)); }
  return s;
}

/** Puts back what saveAccount saved. */
export function restoreAccount(a: AccountState, s: SavedAccount, stride: number): void {
  const n = s.nRows;
  a.nRows = n;
  for (let r = 0; r < n; r++) a.rowU[r] = s.rowU[r];
  const len = n * stride, src = s.rows, dst = a.rows;
  for (let i = 0; i < len; i++) dst[i] = src[i];
  a.rowOf.set(s.rowOf);
  a.optShort.set(s.optShort);
  a.W = s.W;
  a.cash = s.cash;
  for (let k = s.es.length - 1; k >= 0; k--) {
    const p = s.positions[k];
    if (p === undefined) a.positions.delete(s.es[k]); else a.positions.set(s.es[k], p);
  }
}

// -----------------------------------------------------------------------------------------------
// Evaluation

let OPT_MIN = new Float64Array(8);
let LONG_MIN = new Float64Array(8);
let ITEM_ROWS = new Float64Array(0);
const ITEM_U = new Int32Array(2);

/** Equity and its parts, in the numeraire. */
export function equityParts(eng: ScenarioEngine, a: AccountState): {
  equity: number; collateralValue: number; collateralAfterHaircut: number; unrealisedPnl: number; optionValue: number; spotValue: number;
} {
  const inv = 1 / numerairePrice(eng, a);
  let cv = 0, ch = 0, upl = 0, ov = 0, sv = 0;
  for (const [k, b] of a.balances) {
    const x = b * eng.assetPrice(k);
    cv += x;
    ch += b > 0 ? (1 - haircutIn(eng, a, k)) * x : x;
  }
  for (const p of a.positions.values()) {
    const c = eng.cls[p.e];
    const v = positionValue(eng, p);
    if (c === CLS_OPTION) ov += v; else if (c === CLS_SPOT) sv += v; else upl += v;
  }
  return {
    equity: (ch + upl + ov + sv) * inv + a.cash,
    collateralValue: cv * inv, collateralAfterHaircut: ch * inv, unrealisedPnl: upl * inv, optionValue: ov * inv, spotValue: sv * inv,
  };
}

/**
 * The long option minimum of the account's long option positions by market group, in the
 * currency: each position's q x longMinimumPerContract (its term capped at its market value, as
 * the grid model does), summed in the positions' order. Written into `out` (zeroed first).
 */
function longOptionMinimums(eng: ScenarioEngine, a: AccountState, out: Float64Array): void {
  out.fill(0, 0, eng.nGroups);
  const groupOf = eng.market.underlyings.group;
  for (const p of a.positions.values()) {
    if (eng.cls[p.e] === CLS_OPTION && p.q > 0) out[groupOf[eng.und[p.e]]] += p.q * eng.longMinimumPerContract(p.e);
  }
}

/** The netted (portfolio-mode) initial requirement, in the numeraire (the grid's marginMultiplier applied in reduce). */
export function portfolioRequirement(eng: ScenarioEngine, a: AccountState): number {
  const inv = 1 / numerairePrice(eng, a);
  let optMin: Float64Array | null = null;
  if (eng.shortOptionMinimum > 0 || eng.longOptionMinimum > 0) {
    if (OPT_MIN.length < eng.nGroups) { OPT_MIN = new Float64Array(eng.nGroups); LONG_MIN = new Float64Array(eng.nGroups); }
    optMin = OPT_MIN;
    longOptionMinimums(eng, a, LONG_MIN);
    for (let g = 0; g < eng.nGroups; g++) optMin[g] = (eng.shortOptionMinimum * a.optShort[g] + LONG_MIN[g]) * inv;
  }
  return eng.reduce(a.rows, a.rowU, a.nRows, optMin);
}

interface Item { item: string; im: number; value: number }

/**
 * Option minimum of one position, in the currency: shortOptionMinimum x |q| x contractSize when
 * short, q x longMinimumPerContract when long (capped at its market value), 0 for a non-option.
 */
function optionMinimum(eng: ScenarioEngine, p: Position): number {
  if (eng.cls[p.e] !== CLS_OPTION) return 0;
  return p.q < 0 ? -p.q * eng.cs[p.e] * eng.shortOptionMinimum : p.q * eng.longMinimumPerContract(p.e);
}

/**
 * Every item margined alone: each position, and each collateral asset that carries risk in the
 * numeraire; each requirement times the grid's marginMultiplier (1 for ES), as the grid model's
 * initial margin of that item alone. `value` is the item's own value (positions) in the numeraire.
 */
function standaloneItems(eng: ScenarioEngine, a: AccountState, withNames: boolean): Item[] {
  const Pc = numerairePrice(eng, a), inv = 1 / Pc, mm = eng.marginMultiplier;
  const items: Item[] = [];
  const ids = eng.market.instruments.ids;
  const name = (p: Position) => (withNames ? ids[eng.mkt[p.e]] : '');
  if (a.coin < 0) {
    for (const p of a.positions.values()) {
      const m = mult(eng, p);
      const scan = m > 0 ? m * eng.lossLong[p.e] : -m * eng.lossShort[p.e];
      items.push({ item: name(p), im: Math.max(scan, optionMinimum(eng, p)) * inv * mm, value: positionValue(eng, p) * inv });
    }
    for (const [k, b] of a.balances) {
      const u = eng.assets[k].underlying;
      if (u >= 0 && k !== a.numeraire) items.push({ item: withNames ? `collateral:${eng.assets[k].id}` : '', im: b * eng.collCoef[u] * inv * mm, value: 0 });
    }
    return items;
  }
  // Coin numeraire: each item's rows (its own underlying and the coin's), reduced alone.
  const stride = eng.stride, nS = eng.nScen, c = a.coin, conv = eng.conv(c), dInv = eng.dInv(c);
  if (ITEM_ROWS.length < 2 * stride) ITEM_ROWS = new Float64Array(2 * stride);
  const R = ITEM_ROWS;
  if (OPT_MIN.length < eng.nGroups) OPT_MIN = new Float64Array(eng.nGroups);
  const { mem, base } = eng.cubeMemory();
  const groupOf = eng.market.underlyings.group;
  const reduceItem = (u: number, W: number, fill: (row: Float64Array, o: number) => void, optMinCur: number): number => {
    R.fill(0, 0, 2 * stride);
    fill(R, 0);
    let n = 1;
    ITEM_U[0] = u;
    if (u === c) { for (let s = 0; s < nS; s++) R[s] += W * dInv[s]; } else if (W !== 0) {
      for (let s = 0; s < nS; s++) R[stride + s] = W * dInv[s];
      ITEM_U[1] = c; n = 2;
    }
    let optMin: Float64Array | null = null;
    if (optMinCur > 0) { OPT_MIN.fill(0); OPT_MIN[groupOf[u]] = optMinCur * inv; optMin = OPT_MIN; }
    return eng.reduce(R, ITEM_U, n, optMin);
  };
  for (const p of a.positions.values()) {
    const m = mult(eng, p), at = base + p.e * stride, W = positionValue(eng, p);
    const im = reduceItem(eng.und[p.e], W, (row) => { for (let s = 0; s < nS; s++) row[s] = m * mem[at + s] * conv[s]; }, optionMinimum(eng, p));
    items.push({ item: name(p), im, value: W * inv });
  }
  for (const [k, b] of a.balances) {
    if (k === a.numeraire) continue; // the coin itself: no risk in coins, no item
    const spec = eng.assets[k];
    const W = b * eng.assetPrice(k);
    let im: number;
    if (spec.kind === 'underlying') {
      const u = spec.underlying, m = eng.spotMult, mo = u * stride, S = eng.spot(u);
      im = reduceItem(u, W, (row) => { for (let s = 0; s < nS; s++) row[s] = b * (S * (m[mo + s] - 1)) * conv[s]; }, 0);
    } else {
      im = reduceItem(c, W, () => {}, 0);
    }
    items.push({ item: withNames ? `collateral:${spec.id}` : '', im, value: 0 });
  }
  return items;
}

/**
 * Equity, requirements and statuses of an account. `full`: every mode and the standalone items
 * (the report); otherwise only the account's own mode, the other modes' numbers being NaN (the
 * book's hot paths use ownMargin, which gives the same own-mode numbers without the report).
 */
export function evaluate(eng: ScenarioEngine, a: AccountState, full: boolean): AccountMarginOk {
  const parts = equityParts(eng, a);
  const E = parts.equity;
  const ratio = eng.maintenanceRatio;
  const mode = a.mode;
  const mk = (im: number, status?: AccountStatus): ModeMargin => ({
    initialMargin: im, maintenanceMargin: ratio * im, excess: E - im, status: status ?? statusOf(E, im, ratio * im),
  });
  const none: ModeMargin = { initialMargin: NaN, maintenanceMargin: NaN, excess: NaN, status: 'healthy' };
  const modes: Record<MarginMode, ModeMargin> = { isolated: none, cross: none, portfolio: none };
  if (full || mode === 'portfolio') modes.portfolio = mk(portfolioRequirement(eng, a));
  let standalone: StandaloneCharge[] | undefined;
  if (full || mode !== 'portfolio') {
    const items = standaloneItems(eng, a, full);
    let sum = 0;
    for (const it of items) sum += it.im;
    const cross = mk(sum);
    modes.cross = cross;
    // Isolated: the pool (haircut collateral and cash) is shared out in proportion to the items'
    // requirements; each item must cover its own requirement with its share and its own value.
    // Its excess is what the pool can lose before the first item falls below its requirement:
    // item k is covered while pool x im_k / sum + value_k >= im_k, i.e. pool >= sum - sum x value_k / im_k.
    const pool = parts.collateralAfterHaircut + a.cash;
    let iso: AccountStatus = cross.status;
    let isoExcess = cross.excess;
    if (full) standalone = [];
    for (const it of items) {
      const eq = (sum > 0 ? (pool * it.im) / sum : 0) + it.value;
      const st = statusOf(eq, it.im, ratio * it.im);
      iso = worseStatus(iso, st);
      if (it.im > 0) isoExcess = Math.min(isoExcess, pool - sum + (sum * it.value) / it.im);
      if (standalone) standalone.push({ item: it.item, initialMargin: it.im, isolatedEquity: eq, isolatedStatus: st });
    }
    modes.isolated = { initialMargin: sum, maintenanceMargin: ratio * sum, excess: isoExcess, status: iso };
  }
  const own = modes[mode];
  const out: AccountMarginOk = {
    ok: true, account: a.id, mode, method: eng.method, numeraire: eng.assets[a.numeraire].id,
    status: own.status, equity: E, initialMargin: own.initialMargin, maintenanceMargin: own.maintenanceMargin, excess: own.excess,
    collateralValue: parts.collateralValue, collateralAfterHaircut: parts.collateralAfterHaircut, cash: a.cash,
    unrealisedPnl: parts.unrealisedPnl, optionValue: parts.optionValue, spotValue: parts.spotValue, modes,
  };
  if (standalone) out.standalone = standalone;
  return out;
}

/** The numbers of an account's own mode (the book's hot path). */
export interface OwnMargin {
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  excess: number;
  status: AccountStatus;
}

/**
 * Equity, requirement, excess and status under the account's own mode, without building the
 * report (no per-mode or per-item objects): the same numbers as evaluate(eng, a, false), computed
 * in the same order, written into `out`.
 */
export function ownMargin(eng: ScenarioEngine, a: AccountState, out: OwnMargin): OwnMargin {
  const inv = 1 / numerairePrice(eng, a);
  let ch = 0, upl = 0, ov = 0, sv = 0;
  for (const [k, b] of a.balances) {
    const x = b * eng.assetPrice(k);
    ch += b > 0 ? (1 - haircutIn(eng, a, k)) * x : x;
  }
  for (const p of a.positions.values()) {
    const c = eng.cls[p.e];
    const v = positionValue(eng, p);
    if (c === CLS_OPTION) ov += v; else if (c === CLS_SPOT) sv += v; else upl += v;
  }
  const E = (ch + upl + ov + sv) * inv + a.cash;
  const ratio = eng.maintenanceRatio;
  out.equity = E;
  if (a.mode === 'portfolio') {
    const im = portfolioRequirement(eng, a);
    out.initialMargin = im; out.maintenanceMargin = ratio * im; out.excess = E - im; out.status = statusOf(E, im, ratio * im);
    return out;
  }
  let sum = 0;
  if (a.coin >= 0) {
    const items = standaloneItems(eng, a, false);
    for (const it of items) sum += it.im;
    out.initialMargin = sum; out.maintenanceMargin = ratio * sum; out.excess = E - sum; out.status = statusOf(E, sum, ratio * sum);
    if (a.mode === 'isolated') isolatedInto(out, items, ch * inv + a.cash, ratio);
    return out;
  }
  // Currency or fixed-price numeraire: each item's requirement from the per-unit coefficients,
  // times the grid's marginMultiplier (1 for ES), as standaloneItems computes it.
  const mm = eng.marginMultiplier;
  for (const p of a.positions.values()) {
    const m = mult(eng, p);
    const scan = m > 0 ? m * eng.lossLong[p.e] : -m * eng.lossShort[p.e];
    const om = optionMinimum(eng, p);
    sum += (scan > om ? scan : om) * inv * mm;
  }
  for (const [k, b] of a.balances) {
    const u = eng.assets[k].underlying;
    if (u >= 0 && k !== a.numeraire) sum += b * eng.collCoef[u] * inv * mm;
  }
  out.initialMargin = sum; out.maintenanceMargin = ratio * sum; out.excess = E - sum; out.status = statusOf(E, sum, ratio * sum);
  if (a.mode === 'isolated') isolatedInto(out, standaloneItems(eng, a, false), ch * inv + a.cash, ratio);
  return out;
}

/** Isolated status and excess from the standalone items (see evaluate). */
function isolatedInto(out: OwnMargin, items: Item[], pool: number, ratio: number): void {
  const sum = out.initialMargin;
  let st = out.status, ex = out.excess;
  for (const it of items) {
    const eq = (sum > 0 ? (pool * it.im) / sum : 0) + it.value;
    st = worseStatus(st, statusOf(eq, it.im, ratio * it.im));
    if (it.im > 0) ex = Math.min(ex, pool - sum + (sum * it.value) / it.im);
  }
  out.status = st;
  out.excess = ex;
}
