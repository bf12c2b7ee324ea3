/**
 * From a task's numbers to result rows: one function for both sides of the worker boundary. The
 * main thread makes result objects from it (marginAll, error rows); a worker formats its own rows
 * with it for run() (CSV or NDJSON text, so that formatting numbers, most of a row's cost, is
 * spread over the workers), and the bytes are the same either way.
 */
import type { PresetId, ResolvedMarket } from '../market/types.js';
import type { GroupCharge, MarginOk } from '../results.js';
import { groupCharges } from '../models/grid.js';
import { csvRow, ndjsonRow, type OutputFormat, type OutputOptions } from '../io/output.js';
import type { BatchMethod, MarginTaskResult } from './protocol.js';

/** The result of the worker's portfolio j (not a failed one) under the id `id`. */
export function okResult(
  market: ResolvedMarket, method: BatchMethod, id: string, r: MarginTaskResult, j: number, preset?: PresetId,
): MarginOk {
  // With stress scenarios or allocation the worker sent the whole result (its id left for here).
  const whole = r.results?.[j];
  if (whole !== undefined) return { ...whole, portfolio: id };
  if (method === 'grid') {
    const wp = r.worstPoint[j];
    let groups: GroupCharge[] | undefined;
    if (r.detail) groups = groupCharges(market, r.detail, r.detail.gStart[j], r.detail.gStart[j + 1]);
    return {
      ok: true, portfolio: id, method, initialMargin: r.initialMargin[j], maintenanceMargin: r.maintenanceMargin[j],
      worstPoint: wp < 0 ? undefined : wp, ...(groups ? { groups } : {}), ...(preset ? { preset } : {}),
    };
  }
  return {
    ok: true, portfolio: id, method, initialMargin: r.initialMargin[j], maintenanceMargin: r.maintenanceMargin[j], var: r.var[j], es: r.es[j],
    ...(preset ? { preset } : {}),
  };
}

/** One row of the output format (with the market's currency last, and the CSV guard unless `raw`). */
export function formatRow(format: OutputFormat, r: Parameters<typeof csvRow>[0], opts: OutputOptions = {}): string {
  return format === 'csv' ? csvRow(r, opts) : ndjsonRow(r, opts);
}

/** Ids as one string and their lengths (cheaper to send than an array of strings). */
export function joinIds(ids: readonly string[]): { text: string; lengths: Int32Array } {
  const lengths = new Int32Array(ids.length);
  for (let k = 0; k < ids.length; k++) lengths[k] = ids[k].length;
  return { text: ids.join(''), lengths };
}

export function splitIds(text: string, lengths: Int32Array): string[] {
  const ids: string[] = new Array(lengths.length);
  for (let k = 0, at = 0; k < lengths.length; k++) {
    ids[k] = text.slice(at, at + lengths[k]);
    at += lengths[k];
  }
  return ids;
}
