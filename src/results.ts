/** What a margin computation returns: one result per portfolio, numbers or an error as data. */
import type { ErrorCode } from './errors.js';

/** The margin methods, one vocabulary everywhere (API, CLI --method, results, batch protocol). */
export type Method = 'grid' | 'es' | 'fhs';
export const METHODS: readonly Method[] = ['grid', 'es', 'fhs'];

/** One product group's part of a grid requirement (docs/methods.md §4). */
export interface GroupCharge {
  group: string;
  /** R_g = max(0, max_j N_g[j]): the group's worst netted scenario loss. */
  scanRisk: number;
  /** M_g: the option minimum of the group's option positions. */
  optionMinimum: number;
  /** max(R_g, M_g): what the group adds to the initial margin. */
  charge: number;
  /** The point j (0-based index into the grid's points) attaining max_j N_g[j]. */
  worstPoint: number;
  /** L_u at the worst point for each underlying of the group the portfolio holds. */
  underlyings: { underlying: string; loss: number }[];
}

/** What every method's margin of a portfolio has. */
interface MarginOkBase {
  ok: true;
  portfolio: string;
  initialMargin: number;
  maintenanceMargin: number;
  /** Named stress scenarios, when a stress block applies (src/models/stress.ts, docs/methods.md §8). */
  stress?: StressResult;
  /** Euler allocation of the initial margin over the positions, when asked for (src/policy/allocation.ts). */
  allocation?: PositionShare[];
  /**
   * The shipped preset (name and version, docs/methods.md §12.1) whose block produced this margin;
   * absent when the block is the market's own or a grid file's.
   */
  preset?: PresetId;
}

/** A grid margin (docs/methods.md §4). */
export interface GridMarginOk extends MarginOkBase {
  method: 'grid';
  /** The worst point of the group with the largest charge (absent for an empty portfolio). */
  worstPoint?: number;
  /** Per product group (absent when a batch run does not ask for the breakdown). */
  groups?: GroupCharge[];
}

/** A tail margin (es: docs/methods.md §5; fhs: §7): value at risk and expected shortfall of the loss. */
export interface TailMarginOk extends MarginOkBase {
  method: 'es' | 'fhs';
  var: number;
  es: number;
}

/** A portfolio's margin: the result type of its method (narrow on `method`). */
export type MarginOk = GridMarginOk | TailMarginOk;

/** A portfolio's losses in the named stress scenarios. */
export interface StressResult {
  /** The scenario with the largest loss (the first in the block's order on ties). */
  scenario: string;
  /** Its loss, -(portfolio P&L); negative when every scenario is a gain. */
  loss: number;
  /** The loss in every scenario, in the block's order. */
  losses: { scenario: string; loss: number }[];
  /** cover * max(loss, 0) when the block floors the margin; absent otherwise. */
  floor?: number;
  /** The method's initial margin before the floor. */
  methodMargin: number;
  /** The floor exceeded the method's margin and replaced it. */
  floored: boolean;
}

/**
 * What binds a position's share: `es` (average loss over the ES tail), `scan` (the grid group's
 * worst point), `option-minimum` (the grid group's option minimum), `stress` (the stress floor),
 * `none` (the part of the margin it belongs to is 0).
 */
export type ShareBasis = 'es' | 'scan' | 'option-minimum' | 'stress' | 'none';

/** One netted position's share of the initial margin; the shares of a portfolio sum to it. */
export interface PositionShare {
  instrument: string;
  /** Net quantity of the instrument in the portfolio. */
  quantity: number;
  underlying: string;
  /** Grid: the product group whose charge the share belongs to. */
  group?: string;
  initialMargin: number;
  basis: ShareBasis;
}

export interface MarginError {
  ok: false;
  portfolio: string;
  method: Method;
  code: ErrorCode;
  message: string;
}

export type MarginResult = MarginOk | MarginError;
/** A grid model's results. */
export type GridMarginResult = GridMarginOk | MarginError;
/** An es or fhs model's results. */
export type TailMarginResult = TailMarginOk | MarginError;

export function isMarginError(r: MarginResult): r is MarginError {
  return r.ok === false;
}

/** The shipped preset a method block came from: its name and version id (docs/methods.md §12.1). */
export interface PresetId {
  name: string;
  /** `YYYY-MM-N` (src/market/preset-id.ts). */
  version: string;
}
