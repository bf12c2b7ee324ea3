/**
 * The grid method's margin policy (docs/methods.md §4), as pure functions over aggregated P&L
 * numbers: what the grid model, the batch workers and the account layer all charge.
 *
 * Per product group g: scan risk R_g (the gridReduce kernel: the worst netted scenario loss, the
 * group's offsets applied), option minimum M_g (short options shortOptionMinimum per unit of
 * underlying, long options each capped at its value), charge max(R_g, M_g). The initial margin is
 * the sum of the charges times the grid's marginMultiplier (the anti-procyclicality buffer; none
 * when absent), the maintenance margin maintenanceRatio times that.
 */
import { KIND_CALL, KIND_PUT, OUT_VALUE } from '../layout.js';

/** What the policy reads of a grid (a GridSpec has it). */
export interface GridPolicy {
  shortOptionMinimum: number;
  longOptionMinimum: number;
  maintenanceRatio: number;
  marginMultiplier?: number;
}

/** A group's charge: max(R_g, M_g). */
export function groupCharge(scanRisk: number, optionMinimum: number): number {
  return Math.max(scanRisk, optionMinimum);
}

/** The initial margin of a portfolio whose group charges sum to `charges`. */
export function gridInitialMargin(policy: GridPolicy, charges: number): number {
  return policy.marginMultiplier !== undefined ? charges * policy.marginMultiplier : charges;
}

/** The maintenance margin of an initial margin (any method: its maintenanceRatio). */
export function maintenanceMargin(maintenanceRatio: number, initialMargin: number): number {
  return maintenanceRatio * initialMargin;
}

/** Whether instrument kind `kind` (layout.ts KIND_*) is an option, which the option minimums charge. */
export function isOption(kind: number): boolean {
  return kind === KIND_CALL || kind === KIND_PUT;
}

/**
 * The option minimum of one netted position of `qty` contracts: shortOptionMinimum x |qty| x
 * contractSize when short, qty x longPerContract when long, 0 for a non-option.
 */
export function optionMinimum(policy: GridPolicy, kind: number, qty: number, contractSize: number, longPerContract: number): number {
  if (!isOption(kind)) return 0;
  return qty < 0 ? -qty * contractSize * policy.shortOptionMinimum : qty * longPerContract;
}

/**
 * Per instrument, the long option minimum of one contract: min(longOptionMinimum x contractSize,
 * max(0, value of one contract)) for an option (FINRA Rule 4210(g): the minimum on a long option
 * never exceeds its market value), 0 otherwise. `values` is the valuation kernel's output for the
 * n instruments (OUT_VALUE block); `values` may be undefined when longOptionMinimum is 0.
 */
/** The long option minimum of one contract of size `contractSize` worth `value`: min(longOptionMinimum x contractSize, max(0, value)). */
export function longMinimumOf(policy: GridPolicy, contractSize: number, value: number): number {
  return Math.min(policy.longOptionMinimum * contractSize, Math.max(0, value));
}

export function longMinimumPerContract(
  policy: GridPolicy, kind: ArrayLike<number>, contractSize: ArrayLike<number>, values: ArrayLike<number> | undefined,
): Float64Array {
  const n = kind.length;
  const out = new Float64Array(n);
  if (policy.longOptionMinimum === 0 || n === 0 || values === undefined) return out;
  for (let i = 0; i < n; i++) {
    if (!isOption(kind[i])) continue;
    out[i] = longMinimumOf(policy, contractSize[i], values[OUT_VALUE * n + i]);
  }
  return out;
}
