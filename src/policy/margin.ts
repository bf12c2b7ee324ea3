/**
 * Where a portfolio's margin is put together (docs/methods.md §4-§9): the method's initial margin
 * (grid, es or fhs policy), then the floors and charges on top of it, in this order:
 *   1. the stress floor (src/policy/stress.ts): the initial margin becomes the floor when it binds;
 *   2. add-ons (liquidity, concentration, ...) join here, after the floor, as sums of charges;
 * and the maintenance margin is the method's maintenanceRatio times the final initial margin.
 * Every model (in-process, the batch workers, the account layer) composes a margin only here.
 */
import { maintenanceMargin } from './grid.js';

export interface FinalMargin {
  initialMargin: number;
  maintenanceMargin: number;
  /** The stress floor replaced the method's margin. */
  floored: boolean;
}

/**
 * The final margin of a portfolio whose method margin is `methodMargin`, under a stress floor
 * (undefined: none). A floor binds when it exceeds the method's margin.
 */
export function finalMargin(methodMargin: number, maintenanceRatio: number, floor: number | undefined): FinalMargin {
  const floored = floor !== undefined && floor > methodMargin;
  const initial = floored ? floor : methodMargin;
  return { initialMargin: initial, maintenanceMargin: maintenanceMargin(maintenanceRatio, initial), floored };
}
