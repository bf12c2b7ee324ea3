/**
 * The tail methods' margin policy (es, fhs; docs/methods.md §5 and §7): over the portfolio's loss
 * in every scenario, VaR and ES at the confidence level (the esTail kernel), initial margin
 * max(ES, 0), maintenance margin maintenanceRatio times that.
 */
export { maintenanceMargin } from './grid.js';

/** The initial margin of a portfolio whose expected shortfall is `es`. */
export function tailInitialMargin(es: number): number {
  return Math.max(es, 0);
}
