/**
 * An account's evaluation: equity and its parts, the requirement of each margin mode (netted
 * portfolio mode; cross and isolated over the items margined alone), excess and status, as the
 * report (evaluate) and as the book's hot path (ownMargin). docs/accounts.md gives every formula.
 */
import {
  statusOf, worseStatus, type AccountMarginOk, type AccountStatus, type MarginMode, type ModeMargin, type StandaloneCharge,
} from './types.js';
import { CLS_OPTION, CLS_SPOT, type ScenarioEngine } from './engine.js';
import { haircutIn, mult, numerairePrice, positionValue, type AccountState, type Position } from './state.js';

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
