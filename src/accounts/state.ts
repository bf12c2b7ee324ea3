/**
 * An account's state in an engine: balances, cash, positions, its numeraire, and its scenario P&L
 * rows (one row per underlying it holds, in its numeraire), with the operations the margin book
 * needs: build the rows from the positions, add a trade or a transfer in O(scenarios)
 * (docs/accounts.md gives every formula). Saving and restoring it for a what-if: snapshot.ts; its
 * equity, requirements and statuses: evaluation.ts.
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
import type { AccountStatus, MarginMode, ParsedAccount } from './types.js';
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
