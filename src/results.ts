/** What a margin computation returns: one result per portfolio, numbers or an error as data. */
import type { ErrorCode } from './errors.js';

export type Method = 'grid' | 'es' | 'fhs';

/** One product group's part of a grid requirement (contract section 4). */
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

export interface MarginOk {
  ok: true;
  portfolio: string;
  method: Method;
  initialMargin: number;
  maintenanceMargin: number;
  /** Grid: the worst point of the group with the largest charge (absent for an empty portfolio). */
  worstPoint?: number;
  /** Grid: per product group. */
  groups?: GroupCharge[];
  /** Simulation methods: value at risk and expected shortfall of the loss. */
  var?: number;
  es?: number;
}

export interface MarginError {
  ok: false;
  portfolio: string;
  method: Method;
  code: ErrorCode;
  message: string;
}

export type MarginResult = MarginOk | MarginError;

export function isMarginError(r: MarginResult): r is MarginError {
  return r.ok === false;
}
