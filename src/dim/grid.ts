/**
 * Dynamic initial margin, the grid side: the scan range of an underlying in a grid, and a grid
 * block rebuilt with new scan ranges (everything else of the base grid kept as written).
 *
 * The scan range of underlying u in a grid is the largest |move| u sees at the grid's fully
 * covered points (cover = 1; all points when none has cover 1):
 *   R_u = max_{j : cover_j = 1} |move_{u,j}|,  move_{u,j} = moves_u[j] when u lists its own moves,
 *                                              else points[j].move * moveScale_u.
 * Points with cover < 1 (SPAN's two extreme scenarios, the crypto grid's extended table) are
 * scaled along with the others, so the grid keeps its shape and only its size follows the market.
 */
import { InputError } from '../errors.js';
import type { GridSpec } from '../market/types.js';
import { isObject, keysOf, type JsonObject } from '../market/validate.js';

/** Indices of the points that define the scan range: those with cover 1, or all when none has. */
export function scanPoints(spec: GridSpec): number[] {
  const full = spec.points.map((p, j) => (p.cover === 1 ? j : -1)).filter((j) => j >= 0);
  return full.length > 0 ? full : spec.points.map((_, j) => j);
}

/** The move of underlying `u` at point `j` of a validated grid. */
export function pointMove(spec: GridSpec, u: string, j: number): number {
  const e = spec.underlyings.get(u);
  if (e?.moves) return e.moves[j];
  return spec.points[j].move * (e?.moveScale ?? 1);
}

/** R_u: the scan range of underlying `u` in `spec` (an underlying the grid does not list has moveScale 1). */
export function scanRange(spec: GridSpec, u: string): number {
  let r = 0;
  for (const j of scanPoints(spec)) r = Math.max(r, Math.abs(pointMove(spec, u, j)));
  return r;
}

/** The scan range of the grid's own points (moveScale 1): M = max_{j : cover_j = 1} |points[j].move|. */
export function baseScanRange(spec: GridSpec): number {
  let r = 0;
  for (const j of scanPoints(spec)) r = Math.max(r, Math.abs(spec.points[j].move));
  return r;
}

/** What the rebuilt grid writes for one underlying. */
export type UnderlyingEntry = { moveScale: number } | { moves: number[] };

/**
 * The entry giving underlying `u` the scan range `range`, keeping the shape it has in the base grid:
 * - u lists its own `moves` in the base grid: `moves'_j = moves_j * range / R_u(base)`;
 * - otherwise: `moveScale = range / M` with M the scan range of the grid's points.
 * Throws when the base gives u no nonzero move at a fully covered point (nothing to scale).
 */
export function entryFor(spec: GridSpec, u: string, range: number, source: string): UnderlyingEntry {
  const own = spec.underlyings.get(u)?.moves;
  const base = own ? scanRange(spec, u) : baseScanRange(spec);
  if (!(base > 0)) {
    throw new InputError(`${source}: ${own ? `underlyings.${u}.moves` : 'points'}: every fully covered point has move 0; `
      + 'a calibrated range cannot be expressed as a multiple of it', { file: source, path: own ? `underlyings.${u}.moves` : 'points' });
  }
  const f = range / base;
  return own ? { moves: own.map((m) => m * f) } : { moveScale: f };
}

/**
 * A copy of the base grid block `raw` (as written, already validated as `spec`) whose `underlyings`
 * gives each underlying of `entries` its new entry (in the base's order, then new ones in the map's
 * order) and keeps the other underlyings' entries; `description` replaced when given.
 */
export function rebuildGrid(raw: unknown, entries: ReadonlyMap<string, UnderlyingEntry>, description?: string): JsonObject {
  if (!isObject(raw)) throw new TypeError('rebuildGrid: the base grid must be a JSON object');
  const out = JSON.parse(JSON.stringify(raw)) as JsonObject;
  const rawUnder = raw.underlyings;
  const under: JsonObject = {};
  if (isObject(rawUnder) && isObject(out.underlyings)) {
    const copied = out.underlyings;
    for (const id of keysOf(rawUnder)) under[id] = entries.has(id) ? { ...entries.get(id)! } : copied[id];
  }
  for (const [id, e] of entries) if (!Object.prototype.hasOwnProperty.call(under, id)) under[id] = { ...e };
  // Key order: description first, then the base's keys; underlyings where the base has them, else after points.
  const result: JsonObject = {};
  if (description !== undefined) result.description = description;
  const hasUnder = Object.keys(under).length > 0;
  for (const [k, v] of Object.entries(out)) {
    if (k === 'description' && description !== undefined) continue;
    if (k === 'underlyings') { if (hasUnder) result.underlyings = under; continue; }
    result[k] = v;
    if (k === 'points' && hasUnder && !('underlyings' in out)) result.underlyings = under;
  }
  if (hasUnder && !('underlyings' in result)) result.underlyings = under;
  return result;
}

/** For messages: the first point where `entry` takes u's spot to or below zero, if any. */
export function nonPositiveSpot(spec: GridSpec, entry: UnderlyingEntry): { j: number; move: number } | undefined {
  for (let j = 0; j < spec.points.length; j++) {
    const m = 'moves' in entry ? entry.moves[j] : spec.points[j].move * entry.moveScale;
    if (!(m > -1)) return { j, move: m };
  }
  return undefined;
}
