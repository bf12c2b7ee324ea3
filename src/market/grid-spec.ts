/**
 * Validation of a scenario-grid block (docs/methods.md §6.1): `risk.grid` of a market, or a preset
 * file holding one grid block. Returns a GridSpec with every default filled in.
 *
 * Rules (each failure is an InputError `<source>: <path>: ...`):
 * - `points`: a non-empty list; each `move` finite and > -1 (a spot cannot reach zero), `cover`
 *   > 0 (default 1), `volMoves` a non-empty list of numbers > -1 (default: the grid's).
 * - `volMoves`: a non-empty list of vol moves, each a number > -1 (relative) or an object
 *   { move > -1, skew finite (default 0), min >= 0 (default 0) }; default [0] (vol unchanged).
 * - `volDynamics`: "sticky-strike" (default) or "sticky-moneyness" (docs/methods.md §5.7).
 * - `volTerm`: `refDays` > 0, `power` finite (both required), `floorDays` > 0 (default 1).
 * - `underlyings[u]`: `moveScale` > 0 (default 1) with move * moveScale > -1 at every point, or
 *   `moves`, one number > -1 per point; not both (moves replace the scaled moves).
 * - `groups[g].offset` in [0, 1] (default 0).
 * - `horizonDays`, `shortOptionMinimum`, `longOptionMinimum` >= 0 (default 0; the grid model caps each long
 *   option position's minimum at its market value);
 *   `maintenanceRatio` in (0, 1] (default 1); `marginMultiplier` >= 1 (default 1: initial = multiplier x
 *   the sum of the group charges, the anti-procyclicality buffer of a calibration). `$schema` and
 *   `description` strings are allowed, and a preset's `version` (src/market/preset-id.ts).
 * - With a market: every underlying and group named must exist in it (groups: named product
 *   groups only), and every shocked option vol `vol * (1 + volMove * w)` must stay > 0.
 */
import { optVersion } from './preset-id.js';
import { show } from '../errors.js';
import { KIND_CALL, KIND_PUT } from '../layout.js';
import type { GridSpec, ResolvedMarket } from './types.js';
import { pow } from '../math/pow.js';
import {
  ABOVE_MINUS_ONE, checkKeys, expected, fail, FINITE, fieldPath, indexPath, keysOf, list, NON_NEGATIVE, num,
  MAINTENANCE_RATIO, object, optNum, own, POSITIVE, reqNum, someIds, UNIT_CLOSED,
} from './validate.js';

const GRID_KEYS = ['$schema', 'description', 'version', 'points', 'volMoves', 'volDynamics', 'volTerm', 'basis', 'underlyings', 'groups', 'horizonDays',
  'shortOptionMinimum', 'longOptionMinimum', 'maintenanceRatio', 'marginMultiplier'] as const;
const POINT_KEYS = ['move', 'cover', 'volMoves'] as const;
const VOL_TERM_KEYS = ['refDays', 'power', 'floorDays'] as const;
const UNDERLYING_KEYS = ['moveScale', 'moves', 'basis'] as const;
const BASIS_KEYS = ['move', 'minYears'] as const;

/** A basis block { move >= 0 (at most 1), minYears >= 0 (default 0, at most 100) } at `path`. */
function basisOf(src: string, path: string, v: unknown): { move: number; minYears: number } {
  const o = object(src, path, v, 'a JSON object such as { "move": 0.05, "minYears": 0.02 }');
  checkKeys(src, path, o, BASIS_KEYS, 'a basis block');
  return {
    move: reqNum(src, path, o, 'move', { text: 'a number >= 0 and <= 1 (an annualised log move of the basis)', ok: (x: number) => x >= 0 && x <= 1 }),
    minYears: optNum(src, path, o, 'minYears', { text: 'a number >= 0 and <= 100 (years)', ok: (x: number) => x >= 0 && x <= 100 }, 0),
  };
}
const GROUP_KEYS = ['offset'] as const;

const AT_LEAST_ONE = { text: 'a number >= 1 (a buffer multiplies the margin, never lowers it)', ok: (x: number) => x >= 1 };
const VOL_MOVES = 'a non-empty list of vol moves, each a number > -1 or an object { "move": m, "skew": s, "min": v }';
const VOL_MOVE_KEYS = ['move', 'skew', 'min'] as const;
/** The dynamics a grid or stress block may name. */
export const VOL_DYNAMICS = ['sticky-strike', 'sticky-moneyness'] as const;

/** A list of vol moves: each a relative move > -1, or { move, skew, min } (skew finite, min >= 0; both default 0). */
function volMoveList(src: string, path: string, v: unknown): { moves: number[]; skews: number[]; mins: number[]; objects: boolean } {
  const a = list(src, path, v, VOL_MOVES);
  if (a.length === 0) expected(src, path, VOL_MOVES, a);
  const out = { moves: [] as number[], skews: [] as number[], mins: [] as number[], objects: false };
  a.forEach((x, k) => {
    const at = indexPath(path, k);
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      checkKeys(src, at, o, VOL_MOVE_KEYS, 'a vol move');
      out.moves.push(reqNum(src, at, o, 'move', ABOVE_MINUS_ONE));
      out.skews.push(optNum(src, at, o, 'skew', FINITE, 0));
      out.mins.push(optNum(src, at, o, 'min', NON_NEGATIVE, 0));
      out.objects = true;
    } else {
      out.moves.push(num(src, at, x, ABOVE_MINUS_ONE));
      out.skews.push(0);
      out.mins.push(0);
    }
  });
  return out;
}

/** `volDynamics` of a grid or stress block: absent or "sticky-strike" (undefined), or "sticky-moneyness". */
export function volDynamicsOf(src: string, path: string, block: Record<string, unknown>): 'sticky-moneyness' | undefined {
  const v = own(block, 'volDynamics');
  if (v === undefined || v === 'sticky-strike') return undefined;
  if (v === 'sticky-moneyness') return v;
  return expected(src, fieldPath(path, 'volDynamics'), '"sticky-strike" or "sticky-moneyness"', v);
}

/**
 * Validates a grid block. `path` is where the block sits in `source` ('' for a file that is only
 * a grid block); `market`, when given, is checked against the grid's ids and vol shocks.
 */
export function validateGrid(json: unknown, source: string, path = 'risk.grid', market?: ResolvedMarket): GridSpec {
  const src = source;
  const g = object(src, path, json, 'a JSON object (a grid block)');
  checkKeys(src, path, g, GRID_KEYS, 'a grid');
  for (const k of ['$schema', 'description'] as const) {
    const v = own(g, k);
    if (v !== undefined && typeof v !== 'string') expected(src, fieldPath(path, k), 'a string', v);
  }
  optVersion(src, path, g);

  const gridVolMovesRaw = own(g, 'volMoves');
  const gridVolMoves = gridVolMovesRaw === undefined ? { moves: [0], skews: [0], mins: [0], objects: false }
    : volMoveList(src, fieldPath(path, 'volMoves'), gridVolMovesRaw);
  let objects = gridVolMoves.objects;

  const pointsPath = fieldPath(path, 'points');
  const rawPoints = list(src, pointsPath, own(g, 'points'), 'a non-empty list of points such as { "move": -0.15 }');
  if (rawPoints.length === 0) expected(src, pointsPath, 'a non-empty list of points such as { "move": -0.15 }', rawPoints);
  const fromGrid: boolean[] = [];
  const points = rawPoints.map((raw, j) => {
    const pp = indexPath(pointsPath, j);
    const p = object(src, pp, raw, 'a point such as { "move": -0.15 }');
    checkKeys(src, pp, p, POINT_KEYS, 'a point');
    const move = reqNum(src, pp, p, 'move', ABOVE_MINUS_ONE);
    const cover = optNum(src, pp, p, 'cover', POSITIVE, 1);
    const vm = own(p, 'volMoves');
    fromGrid.push(vm === undefined);
    const own_ = vm === undefined ? gridVolMoves : volMoveList(src, fieldPath(pp, 'volMoves'), vm);
    objects ||= own_.objects;
    return { move, cover, volMoves: own_.moves.slice(), volSkews: own_.skews.slice(), volMins: own_.mins.slice() };
  });
  // Plain relative moves keep today's shape (no skews, no minimums).
  if (!objects) for (const p of points) { delete (p as { volSkews?: number[] }).volSkews; delete (p as { volMins?: number[] }).volMins; }
  const volDynamics = volDynamicsOf(src, path, g);
  const nPoints = points.length;

  let volTerm: GridSpec['volTerm'];
  const vtRaw = own(g, 'volTerm');
  if (vtRaw !== undefined) {
    const vp = fieldPath(path, 'volTerm');
    const vt = object(src, vp, vtRaw, 'a JSON object such as { "refDays": 30, "power": 0.3 }');
    checkKeys(src, vp, vt, VOL_TERM_KEYS, 'volTerm');
    volTerm = {
      refDays: reqNum(src, vp, vt, 'refDays', POSITIVE),
      power: reqNum(src, vp, vt, 'power', FINITE),
      floorDays: optNum(src, vp, vt, 'floorDays', POSITIVE, 1),
    };
  }

  const underlyings: GridSpec['underlyings'] = new Map();
  const uRaw = own(g, 'underlyings');
  if (uRaw !== undefined) {
    const up = fieldPath(path, 'underlyings');
    const uo = object(src, up, uRaw, 'a JSON object keyed by underlying id');
    for (const id of keysOf(uo)) {
      const p = fieldPath(up, id);
      if (id === '') expected(src, p, 'a non-empty underlying id', id);
      if (market && !market.underlyings.index.has(id)) {
        fail(src, p, `unknown underlying ${show(id)}; the market's underlyings are ${someIds(market.underlyings.ids)}`);
      }
      const e = object(src, p, own(uo, id), 'a JSON object such as { "moveScale": 1.25 }');
      checkKeys(src, p, e, UNDERLYING_KEYS, 'an underlying of a grid');
      const movesRaw = own(e, 'moves');
      if (movesRaw !== undefined && own(e, 'moveScale') !== undefined) {
        fail(src, p, 'give moveScale or moves, not both (moves replace the scaled moves of the points)');
      }
      if (movesRaw !== undefined) {
        const mp = fieldPath(p, 'moves');
        const moves = list(src, mp, movesRaw, `a list of ${nPoints} moves (one per point), each a number > -1`);
        if (moves.length !== nPoints) {
          fail(src, mp, `expected ${nPoints} moves (one per point of ${pointsPath}), got ${moves.length}`);
        }
        underlyings.set(id, { moveScale: 1, moves: moves.map((m, j) => num(src, indexPath(mp, j), m, ABOVE_MINUS_ONE)) });
        const br = own(e, 'basis');
        if (br !== undefined) underlyings.get(id)!.basis = basisOf(src, fieldPath(p, 'basis'), br);
      } else {
        const moveScale = optNum(src, p, e, 'moveScale', POSITIVE, 1);
        for (let j = 0; j < nPoints; j++) {
          const scaled = points[j].move * moveScale;
          if (!(scaled > -1)) {
            fail(src, fieldPath(p, 'moveScale'), `${moveScale} scales the move ${points[j].move} of ${indexPath(pointsPath, j)} `
              + `to ${scaled}, which takes the spot to or below zero; move * moveScale must be > -1`);
          }
        }
        underlyings.set(id, { moveScale });
        const br = own(e, 'basis');
        if (br !== undefined) underlyings.get(id)!.basis = basisOf(src, fieldPath(p, 'basis'), br);
      }
    }
  }

  const groups: GridSpec['groups'] = new Map();
  const gRaw = own(g, 'groups');
  if (gRaw !== undefined) {
    const gp = fieldPath(path, 'groups');
    const go = object(src, gp, gRaw, 'a JSON object keyed by product group id');
    for (const id of keysOf(go)) {
      const p = fieldPath(gp, id);
      if (id === '') expected(src, p, 'a non-empty group id', id);
      if (market && !market.groups.index.has(id)) {
        const named = [...market.groups.index.keys()];
        fail(src, p, `unknown product group ${show(id)}; the market's named groups are ${someIds(named)}`
          + ' (an underlying without a group forms a group of its own, which takes no offset)');
      }
      const e = object(src, p, own(go, id), 'a JSON object such as { "offset": 0.5 }');
      checkKeys(src, p, e, GROUP_KEYS, 'a group of a grid');
      groups.set(id, { offset: optNum(src, p, e, 'offset', UNIT_CLOSED, 0) });
    }
  }

  const spec: GridSpec = {
    points, underlyings, volTerm, groups,
    horizonDays: optNum(src, path, g, 'horizonDays', NON_NEGATIVE, 0),
    shortOptionMinimum: optNum(src, path, g, 'shortOptionMinimum', NON_NEGATIVE, 0),
    longOptionMinimum: optNum(src, path, g, 'longOptionMinimum', NON_NEGATIVE, 0),
    maintenanceRatio: optNum(src, path, g, 'maintenanceRatio', MAINTENANCE_RATIO, 1),
  };
  if (volDynamics) spec.volDynamics = volDynamics;
  const basisRaw = own(g, 'basis');
  if (basisRaw !== undefined) spec.basis = basisOf(src, fieldPath(path, 'basis'), basisRaw);
  if (own(g, 'marginMultiplier') !== undefined) spec.marginMultiplier = optNum(src, path, g, 'marginMultiplier', AT_LEAST_ONE, 1);
  if (volTerm === undefined) delete spec.volTerm;
  if (market) checkShockedVols(src, path, spec, fromGrid, market);
  return spec;
}

/** Tenor weight of a vol shock, `(refDays / max(floorDays, 365 T))^power`; 1 without volTerm (pow: src/math/pow.ts, the same on every Node). */
export function volWeight(spec: GridSpec, T: number): number {
  const vt = spec.volTerm;
  return vt ? pow(vt.refDays / Math.max(vt.floorDays, 365 * T), vt.power) : 1;
}

/**
 * Offsets by group index of the market: a named group's offset from the grid (0 when absent), 0
 * for an underlying's own group (with one underlying the offset has no effect anyway). Looks
 * groups up by namespace, so an ungrouped underlying "X" never takes the offset of a named group "X".
 */
export function groupOffsets(market: ResolvedMarket, spec: GridSpec): Float64Array {
  const ids = market.groups.ids;
  return Float64Array.from(ids, (id, gi) => (market.groups.index.get(id) === gi ? spec.groups.get(id)?.offset ?? 0 : 0));
}

/** Every option's vol must stay > 0 (and finite) under the smallest and largest tenor-weighted vol move. */
function checkShockedVols(src: string, path: string, spec: GridSpec, fromGrid: boolean[], market: ResolvedMarket): void {
  // The extreme vol moves, and the path each came from (a point without its own volMoves uses the grid's).
  let lo = Infinity, hi = -Infinity, loPath = '', hiPath = '';
  spec.points.forEach((p, j) => {
    p.volMoves.forEach((v, k) => {
      // A move with a skew or a minimum is checked cell by cell when the cube is built.
      if ((p.volSkews?.[k] ?? 0) !== 0 || (p.volMins?.[k] ?? 0) !== 0) return;
      const where = fromGrid[j] ? indexPath(fieldPath(path, 'volMoves'), k)
        : indexPath(fieldPath(indexPath(fieldPath(path, 'points'), j), 'volMoves'), k);
      if (v < lo) { lo = v; loPath = where; }
      if (v > hi) { hi = v; hiPath = where; }
    });
  });
  if (lo === Infinity) return; // every vol move has a skew or a minimum
  const ins = market.instruments;
  for (let i = 0; i < ins.ids.length; i++) {
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    const w = volWeight(spec, ins.T[i]);
    for (const [v, where] of [[lo, loPath], [hi, hiPath]] as const) {
      const f = 1 + v * w;
      if (!(f > 0) || !Number.isFinite(f)) {
        fail(src, where, `vol move ${v} with the tenor weight ${fmt(w)} of option ${show(ins.ids[i])} `
          + `(T = ${fmt(ins.T[i])}) takes its vol ${ins.vol[i]} to ${fmt(ins.vol[i] * f)}; a shocked vol must stay > 0`);
      }
    }
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
