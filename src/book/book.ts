/**
 * The continuous margin book: accounts loaded once into a live engine, then events applied one
 * at a time, each answered with the accounts whose status changed.
 *
 * - A price or vol move of underlying u rebuilds u's block of the cube (one `revalue` call), then
 *   only the rows on u of the accounts that hold u (O(their positions on u x scenarios)).
 * - A trade or a transfer adds quantity x one cube row to one row of one account: O(scenarios);
 *   the account is then re-margined in its own mode (ownMargin).
 * - A what-if applies the orders to the account, evaluates it, and restores exactly what the orders
 *   touched (rows, option units, cash, those positions).
 * - Every event is validated completely before anything changes: a rejected event leaves the
 *   book exactly as it was.
 * After any sequence of events the book's numbers equal `marginAccounts` on its snapshot (the
 * resulting market and positions), up to rounding.
 */
import { InputError, show } from '../errors.js';
import type { MarketInput } from '../market/types.js';
import { indexPath, someIds } from '../market/validate.js';
import { applyTrade, applyTransfer, createAccount, rebuildUnderlying, tradeEffect, type AccountState } from '../accounts/state.js';
import { restoreAccount, saveAccount, type SavedAccount } from '../accounts/snapshot.js';
import { evaluate, ownMargin, type OwnMargin } from '../accounts/evaluation.js';
import { CLS_INVERSE, CLS_LINEAR, CLS_OPTION, ScenarioEngine } from '../accounts/engine.js';
import { marketSnapshot, type AccountMarket } from '../accounts/market.js';
import { checkAccountsFile } from '../accounts/parse.js';
import { checkAccountMarket, given } from '../options.js';
import type { AccountMarginOptions } from '../accounts/margin.js';
import { assetProblem, requireAllAccounts } from '../accounts/parse.js';
import type {
  AccountInput, AccountMarginOk, AccountsFile, AccountsFileInput, AccountStatus, AssetInput, AssetSpec,
} from '../accounts/types.js';
import { order, parseEvent, type BookEvent, type Order } from './events.js';

/** An account whose status changed (from null: its status when the book was loaded). */
export interface StatusChange {
  account: string;
  from: AccountStatus | null;
  to: AccountStatus;
  numeraire: string;
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  excess: number;
}

/** The answer to a what-if: the account's numbers now and after the orders (the book is unchanged). */
export interface WhatIfResult {
  account: string;
  orders: Order[];
  numeraire: string;
  before: { status: AccountStatus; equity: number; initialMargin: number; maintenanceMargin: number };
  after: { status: AccountStatus; equity: number; initialMargin: number; maintenanceMargin: number; excess: number };
  /** The orders leave the account healthy, or do not raise its initial requirement. */
  accepted: boolean;
}

export type ApplyResult =
  | { ok: true; changes: StatusChange[]; whatIf?: WhatIfResult }
  | { ok: false; code: 'E_INPUT'; message: string };

/** Thrown inside apply() for a rejected event; turned into an ApplyResult. */
class Rejected extends Error {}
function reject(message: string): never { throw new Rejected(message); }

export class MarginBook {
  readonly engine: ScenarioEngine;
  private readonly accounts: AccountState[] = [];
  private readonly index = new Map<string, number>();
  /** Per underlying: the accounts with a row on it. */
  private readonly holders: Set<number>[];
  /** Own-mode numbers of the last evaluation, by account. */
  private readonly eq: Float64Array;
  private readonly im: Float64Array;
  private readonly mm: Float64Array;
  private readonly ex: Float64Array;
  private lastT = -Infinity;
  private lastTText = '';
  private readonly input?: MarketInput;
  private readonly assetsInput: Map<string, AssetInput>;
  private readonly assetSpecs: Map<string, AssetSpec>;
  private saved: SavedAccount | undefined;
  private readonly esScratch: number[] = [];
  private readonly own: OwnMargin = { equity: 0, initialMargin: 0, maintenanceMargin: 0, excess: 0, status: 'healthy' };
  private readonly initial: StatusChange[] = [];

  /** Loads every account of `file` (throws InputError when one of them is invalid). */
  constructor(market: AccountMarket, file: AccountsFile, options: AccountMarginOptions = {}) {
    market = checkAccountMarket(market, 'MarginBook: market');
    checkAccountsFile(file, 'MarginBook: file');
    const parsed = requireAllAccounts(file);
    this.engine = new ScenarioEngine(market, file.assets.values(), options);
    this.input = market.input;
    this.assetsInput = file.assetsInput;
    this.assetSpecs = file.assets;
    const eng = this.engine;
    this.holders = Array.from({ length: eng.nU }, () => new Set<number>());
    this.eq = new Float64Array(parsed.length);
    this.im = new Float64Array(parsed.length);
    this.mm = new Float64Array(parsed.length);
    this.ex = new Float64Array(parsed.length);
    for (const p of parsed) {
      const k = this.accounts.length;
      const a = createAccount(eng, p);
      this.accounts.push(a);
      this.index.set(p.id, k);
      for (let r = 0; r < a.nRows; r++) this.holders[a.rowU[r]].add(k);
      this.refresh(k);
      if (a.status !== 'healthy') this.initial.push(this.change(k, null));
    }
  }

  /** Number of accounts. */
  get size(): number { return this.accounts.length; }

  /** Account ids in file order. */
  ids(): string[] { return this.accounts.map((a) => a.id); }

  /** The accounts that were not healthy when the book was loaded. */
  initialStatuses(): StatusChange[] { return this.initial.slice(); }

  /** How many accounts hold underlying `id` (a price or vol move of it re-margins them). */
  holderCount(id: string): number {
    const u = this.engine.market.underlyings.index.get(id);
    return u === undefined ? 0 : this.holders[u].size;
  }

  /** Current status of an account. */
  status(id: string): AccountStatus { return this.get(id).status; }

  /** An account's numbers in every mode (computed now from the book's rows). */
  margin(id: string): AccountMarginOk { return evaluate(this.engine, this.get(id), true); }

  /** Every account's numbers in every mode, in file order. */
  marginAll(): AccountMarginOk[] { return this.accounts.map((a) => evaluate(this.engine, a, true)); }

  private get(id: string): AccountState {
    const k = this.index.get(id);
    if (k === undefined) throw new RangeError(`account ${show(id)} is not in the book`);
    return this.accounts[k];
  }

  private accountIndex(id: string): number {
    const k = this.index.get(id);
    if (k === undefined) reject(`account: ${show(id)} is not in the book (${this.accounts.length} accounts: ${someIds(this.ids())})`);
    return k;
  }

  /** Re-evaluates account k in its own mode; returns its previous status when it changed. */
  private refresh(k: number): AccountStatus | undefined {
    const a = this.accounts[k];
    const r = ownMargin(this.engine, a, this.own);
    this.eq[k] = r.equity; this.im[k] = r.initialMargin; this.mm[k] = r.maintenanceMargin; this.ex[k] = r.excess;
    const before = a.status;
    a.status = r.status;
    return before !== r.status ? before : undefined;
  }

  private change(k: number, from: AccountStatus | null): StatusChange {
    const a = this.accounts[k];
    return {
      account: a.id, from, to: a.status, numeraire: this.engine.assets[a.numeraire].id,
      equity: this.eq[k], initialMargin: this.im[k], maintenanceMargin: this.mm[k], excess: this.ex[k],
    };
  }

  private syncHolder(k: number, u: number): void {
    if (this.accounts[k].rowOf[u] >= 0) this.holders[u].add(k); else this.holders[u].delete(k);
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /**
   * Applies one event. A rejected event changes nothing and comes back as { ok: false }; a value
   * that is not an event (parseEvent's shape) is an InputError naming `book.apply`.
   */
  apply(ev: BookEvent): ApplyResult {
    ev = checkEvent(ev);
    try {
      if (ev.tMs !== undefined && ev.tMs < this.lastT) {
        reject(`t: ${show(ev.t)} is before the previous event's ${show(this.lastTText)}; events must come in time order`);
      }
      const out = this.dispatch(ev);
      if (ev.tMs !== undefined) { this.lastT = ev.tMs; this.lastTText = ev.t!; }
      return out;
    } catch (e) {
      if (e instanceof Rejected) return { ok: false, code: 'E_INPUT', message: e.message };
      throw e;
    }
  }

  private dispatch(ev: BookEvent): ApplyResult {
    switch (ev.type) {
      case 'price':
        if ('spot' in ev) {
          const u = this.underlyingIndex(ev.underlying);
          return this.moveUnderlying(u, () => this.engine.setSpot(u, ev.spot));
        }
        return this.markPrice(ev.instrument, ev.price);
      case 'vol':
        if ('instrument' in ev) return this.optionVol(ev.instrument, ev.vol);
        if ('shift' in ev) return this.shiftVols(ev.underlying, ev.shift);
        return this.underlyingVol(ev.underlying, ev.vol);
      case 'trade': {
        const k = this.accountIndex(ev.account);
        return this.trade(k, [{ instrument: ev.instrument, quantity: ev.quantity, price: ev.price }]);
      }
      case 'transfer':
        return this.transfer(this.accountIndex(ev.account), ev.asset, ev.amount);
      case 'whatif':
        return { ok: true, changes: [], whatIf: this.whatIfAt(this.accountIndex(ev.account), ev.orders) };
    }
  }

  private underlyingIndex(id: string): number {
    const u = this.engine.market.underlyings.index.get(id);
    if (u === undefined) reject(`underlying: unknown underlying ${show(id)}; the market's underlyings are ${someIds(this.engine.market.underlyings.ids)}`);
    return u;
  }

  private instrumentIndex(id: string, field = 'instrument'): number {
    const i = this.engine.market.instruments.index.get(id);
    if (i === undefined) reject(`${field}: unknown instrument ${show(id)}`);
    return this.engine.eOf[i];
  }

  /** Applies a market move of u, then re-margins the accounts holding u. */
  private moveUnderlying(u: number, move: () => void): ApplyResult {
    move();
    const changes: number[] = [];
    const before: AccountStatus[] = [];
    for (const k of this.holders[u]) {
      rebuildUnderlying(this.engine, this.accounts[k], u);
      const from = this.refresh(k);
      if (from !== undefined) { changes.push(k); before.push(from); }
    }
    return { ok: true, changes: this.changesSorted(changes, before) };
  }

  private changesSorted(ks: number[], from: AccountStatus[]): StatusChange[] {
    const order = ks.map((k, j) => j).sort((x, y) => ks[x] - ks[y]);
    return order.map((j) => this.change(ks[j], from[j]));
  }

  private markPrice(id: string, price: number): ApplyResult {
    const e = this.instrumentIndex(id);
    const c = this.engine.cls[e];
    if (c !== CLS_LINEAR && c !== CLS_INVERSE) {
      reject(`instrument: ${show(id)} is not a future or perpetual; a price event on an instrument sets a future's or perpetual's mark (options are valued from their underlying and vol)`);
    }
    const u = this.engine.und[e];
    return this.moveUnderlying(u, () => this.engine.setRefPrice(e, price));
  }

  private optionVol(id: string, vol: number): ApplyResult {
    const e = this.instrumentIndex(id);
    if (this.engine.cls[e] !== CLS_OPTION) reject(`instrument: ${show(id)} is not an option; only options have an implied vol`);
    const u = this.engine.und[e];
    return this.moveUnderlying(u, () => this.engine.setOptionVols(u, [e], [vol]));
  }

  private shiftVols(underlying: string, shift: number): ApplyResult {
    const u = this.underlyingIndex(underlying);
    const eng = this.engine, ins = eng.market.instruments;
    const es: number[] = [], vols: number[] = [];
    for (let e = eng.start[u]; e < eng.start[u] + eng.count[u]; e++) {
      if (eng.cls[e] !== CLS_OPTION) continue;
      const v = ins.vol[eng.mkt[e]] + shift;
      if (!(v > 0) || !Number.isFinite(v)) {
        reject(`shift: ${shift} takes the vol of ${show(ins.ids[eng.mkt[e]])} from ${ins.vol[eng.mkt[e]]} to ${v}; a vol must stay > 0`);
      }
      es.push(e); vols.push(v);
    }
    return this.moveUnderlying(u, () => eng.setOptionVols(u, es, vols));
  }

  private underlyingVol(underlying: string, vol: number): ApplyResult {
    const u = this.underlyingIndex(underlying);
    return this.moveUnderlying(u, () => this.engine.setUnderlyingVol(u, vol));
  }

  /** Checks orders and returns their trade effects' inputs (engine index, quantity, price). */
  private checkOrders(orders: readonly Order[]): { e: number; dq: number; price: number }[] {
    const eng = this.engine;
    return orders.map((o, j) => {
      const field = orders.length > 1 ? `orders[${j}].instrument` : 'instrument';
      const e = this.instrumentIndex(o.instrument, field);
      if (!Number.isFinite(o.quantity) || o.quantity === 0) reject(`quantity: expected a non-zero finite number, got ${show(o.quantity)}`);
      const c = eng.cls[e];
      const price = o.price ?? (c === CLS_LINEAR || c === CLS_INVERSE ? eng.refPrice(e) : eng.value[e] / eng.cs[e]);
      if (!(price > 0) && !(price === 0 && c === CLS_OPTION && o.price === undefined)) {
        reject(`price: expected a number > 0, got ${show(price)}`);
      }
      return { e, dq: o.quantity, price };
    });
  }

  /** Applies orders to account k (all or none). */
  private trade(k: number, orders: readonly Order[]): ApplyResult {
    const a = this.accounts[k];
    const eng = this.engine;
    const list = this.checkOrders(orders);
    this.saved = saveAccount(a, eng.stride, list.map((o) => o.e), this.saved);
    const touched = new Set<number>();
    for (const o of list) {
      const eff = tradeEffect(eng, a, o.e, o.dq, o.price);
      const nums = [eff.after.q, eff.after.Q, eff.after.C, eff.dCash, a.cash + eff.dCash];
      if (!nums.every(Number.isFinite)) {
        restoreAccount(a, this.saved, eng.stride);
        reject(`the trade of ${o.dq} ${show(eng.market.instruments.ids[eng.mkt[o.e]])} at ${o.price} would make account `
          + `${show(a.id)}'s position or cash non-finite`);
      }
      applyTrade(eng, a, eff);
      touched.add(eng.und[o.e]);
    }
    if (a.coin >= 0) touched.add(a.coin);
    for (const u of touched) this.syncHolder(k, u);
    const from = this.refresh(k);
    return { ok: true, changes: from === undefined ? [] : [this.change(k, from)] };
  }

  private transfer(k: number, asset: string, amount: number): ApplyResult {
    const a = this.accounts[k];
    const eng = this.engine;
    const ak = eng.assetIndex.get(asset);
    const problem = assetProblem(asset, this.assetSpecs, eng.market, eng.assets[a.numeraire].id);
    if (ak === undefined || problem !== undefined) reject(`asset: ${problem}`);
    const b0 = a.balances.get(ak) ?? 0;
    const b1 = b0 + amount;
    if (!(b1 >= 0) || !Number.isFinite(b1)) {
      reject(`amount: ${amount} would take account ${show(a.id)}'s ${asset} balance from ${b0} to ${b1}; a balance cannot go below 0`);
    }
    applyTransfer(eng, a, ak, amount);
    const u = eng.assets[ak].underlying;
    if (u >= 0) this.syncHolder(k, u);
    const from = this.refresh(k);
    return { ok: true, changes: from === undefined ? [] : [this.change(k, from)] };
  }

  /**
   * The requirement and status account `id` would have after `orders`, without changing the book:
   * the pre-trade check. Throws an InputError naming `book.whatIf` for an id that is not a string
   * or not in the book, orders that are not a list of orders ({ instrument, quantity[, price] }),
   * and an order the book refuses (an unknown instrument, a non-finite result); through apply(), a
   * what-if event gives the same refusals as { ok: false }.
   */
  whatIf(id: string, orders: readonly Order[]): WhatIfResult {
    if (typeof id !== 'string') throw new InputError(`book.whatIf: account: expected an account id (a string), got ${given(id)}`, { path: 'account' });
    if (!Array.isArray(orders)) {
      throw new InputError(`book.whatIf: orders: expected a list of orders such as { instrument: "BTC-PERP", quantity: -1 }, got ${given(orders)}`,
        { path: 'orders' });
    }
    const list = orders.map((o, j) => order('book.whatIf', indexPath('orders', j), o));
    try {
      return this.whatIfAt(this.accountIndex(id), list);
    } catch (e) {
      if (e instanceof Rejected) throw new InputError(`book.whatIf: ${e.message}`);
      throw e;
    }
  }

  private whatIfAt(k: number, orders: readonly Order[]): WhatIfResult {
    const a = this.accounts[k];
    const eng = this.engine;
    const list = this.checkOrders(orders);
    const es = this.esScratch;
    es.length = 0;
    for (const o of list) es.push(o.e);
    this.saved = saveAccount(a, eng.stride, es, this.saved);
    let after;
    try {
      for (const o of list) {
        const eff = tradeEffect(eng, a, o.e, o.dq, o.price);
        if (![eff.after.q, eff.after.Q, eff.after.C, eff.dCash].every(Number.isFinite)) {
          reject(`the order of ${o.dq} ${show(eng.market.instruments.ids[eng.mkt[o.e]])} would make the position or cash non-finite`);
        }
        applyTrade(eng, a, eff, true);
      }
      after = ownMargin(eng, a, { equity: 0, initialMargin: 0, maintenanceMargin: 0, excess: 0, status: 'healthy' });
    } finally {
      restoreAccount(a, this.saved, eng.stride);
    }
    const before = { status: a.status, equity: this.eq[k], initialMargin: this.im[k], maintenanceMargin: this.mm[k] };
    return {
      account: a.id, orders: orders.slice(), numeraire: eng.assets[a.numeraire].id, before,
      after: { status: after.status, equity: after.equity, initialMargin: after.initialMargin, maintenanceMargin: after.maintenanceMargin, excess: after.excess },
      accepted: after.status === 'healthy' || after.initialMargin <= before.initialMargin,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /** The market the book has moved to, as a snapshot file (needs the market's input JSON). */
  snapshotMarket(): MarketInput {
    if (!this.input) throw new Error('the book was built from a resolved market: no snapshot input to write into');
    return marketSnapshot(this.input, this.engine.market, this.engine.stickyMoneyness);
  }

  /** The accounts as an account file: balances, cash, net positions with their entry prices. */
  snapshotAccounts(): AccountsFileInput {
    const eng = this.engine, ins = eng.market.instruments;
    const assets: Record<string, AssetInput> = {};
    for (const [id, v] of this.assetsInput) assets[id] = { ...v };
    const accounts = this.accounts.map((a): AccountInput => {
      const collateral: Record<string, number> = {};
      for (const [k, b] of a.balances) collateral[eng.assets[k].id] = b;
      const positions = [...a.positions.values()].sort((x, y) => eng.mkt[x.e] - eng.mkt[y.e]).map((p) => {
        const c = eng.cls[p.e];
        const pos: { instrument: string; quantity: number; price?: number } = { instrument: ins.ids[eng.mkt[p.e]], quantity: p.q };
        if (c === CLS_LINEAR) pos.price = p.C / (p.q * eng.cs[p.e]);
        else if (c === CLS_INVERSE) pos.price = (p.q * eng.cs[p.e]) / p.Q;
        return pos;
      });
      return { account: a.id, mode: a.mode, numeraire: eng.assets[a.numeraire].id, collateral, cash: a.cash, positions };
    });
    return { assets, accounts };
  }
}

/**
 * The entry guard of apply(): an event as parseEvent gives it, checked again with parseEvent (its
 * `tMs`, when given, must be its `t`'s); else an InputError naming `book.apply`.
 */
function checkEvent(ev: unknown): BookEvent {
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) {
    throw new InputError(`book.apply: event: expected an event from parseEvent or parseEventLine (such as { type: "price", underlying: "BTC", spot: 95000 }), got ${given(ev)}`,
      { path: 'event' });
  }
  const { tMs, ...json } = ev as Record<string, unknown>;
  const parsed = parseEvent(json, 'book.apply: event');
  if (tMs !== undefined && tMs !== parsed.tMs) {
    throw new InputError(`book.apply: event: tMs: expected the time of t in ms (${parsed.tMs ?? 'no t given'}), got ${given(tMs)}`, { path: 'event.tMs' });
  }
  return parsed;
}
