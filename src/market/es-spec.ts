/**
 * Validation of an expected-shortfall block (docs/methods.md §8.1): `risk.es` of a market (or a file
 * holding one ES block). Returns an EsSpec with every default filled in.
 *
 * Rules (each failure is an InputError `<source>: <path>: ...`):
 * - `confidence` strictly between 0 and 1; `horizonDays` > 0; `scenarios` a whole number from 1
 *   to 10,000,000 (the P&L of every instrument in every scenario is held in memory).
 * - `seed` a whole number >= 0 up to 2^53 - 1 (default 1).
 * - `distribution` "normal" (default) or "student-t". `degreesOfFreedom` > 2 is required with
 *   "student-t" (no default: the tail parameter drives the margin and is stated, never guessed)
 *   and rejected with "normal" (a forgotten `distribution` would otherwise silently give normal
 *   tails). For "normal" the spec's degreesOfFreedom is Infinity.
 * - `correlations`: a list of [u1, u2, rho] with u1 != u2, rho in [-1, 1], no pair (in either
 *   order) given twice with different values; with a market, u1 and u2 must be its underlyings or
 *   the vol factor "U.vol" of an underlying U with a `volOfVol` (docs/methods.md §8.2).
 *   Whether the whole matrix is a correlation matrix is checked by the ES method, not here.
 * - `maintenanceRatio` in (0, 1] (default 1). `$schema` and `description` strings are allowed.
 */
import { optVersion } from './preset-id.js';
import { show } from '../errors.js';
import type { EsSpec, ResolvedMarket } from './types.js';
import {
  ABOVE_TWO, checkKeys, CORRELATION, expected, fail, fieldPath, indexPath, integerIn, list, nonEmptyString, num,
  MAINTENANCE_RATIO, object, optNum, own, POSITIVE, reqNum, someIds, UNIT_OPEN,
} from './validate.js';

const ES_KEYS = ['$schema', 'description', 'version', 'confidence', 'horizonDays', 'scenarios', 'seed', 'distribution',
  'degreesOfFreedom', 'correlations', 'maintenanceRatio'] as const;

/** The name of underlying `id`'s vol factor in `correlations`: "BTC.vol". */
export const volFactorName = (id: string): string => `${id}.vol`;

/** The underlyings (indices, market order) whose implied vols move in es: those with a volOfVol. */
export function volFactorUnderlyings(market: ResolvedMarket): number[] {
  const vv = market.underlyings.volOfVol;
  const out: number[] = [];
  if (vv) vv.forEach((x, u) => { if (x > 0) out.push(u); });
  return out;
}

/** Whether `id` names a vol factor of `market` (and is not itself an underlying). */
function isVolFactor(market: ResolvedMarket, id: string): boolean {
  return volFactorUnderlyings(market).some((u) => volFactorName(market.underlyings.ids[u]) === id);
}

/** The largest scenario count accepted. */
export const MAX_SCENARIOS = 10_000_000;

/** Validates an ES block. `market`, when given, is checked against the correlation pairs' ids. */
export function validateEs(json: unknown, source: string, path = 'risk.es', market?: ResolvedMarket): EsSpec {
  const src = source;
  const e = object(src, path, json, 'a JSON object (an ES block)');
  checkKeys(src, path, e, ES_KEYS, 'an ES block');
  for (const k of ['$schema', 'description'] as const) {
    const v = own(e, k);
    if (v !== undefined && typeof v !== 'string') expected(src, fieldPath(path, k), 'a string', v);
  }
  optVersion(src, path, e);
  const confidence = reqNum(src, path, e, 'confidence', UNIT_OPEN);
  const horizonDays = reqNum(src, path, e, 'horizonDays', POSITIVE);
  const scenarios = reqNum(src, path, e, 'scenarios', integerIn(1, MAX_SCENARIOS));
  const seed = optNum(src, path, e, 'seed', integerIn(0, Number.MAX_SAFE_INTEGER), 1);

  const distRaw = own(e, 'distribution');
  if (distRaw !== undefined && distRaw !== 'normal' && distRaw !== 'student-t') {
    expected(src, fieldPath(path, 'distribution'), '"normal" or "student-t"', distRaw);
  }
  const distribution = (distRaw ?? 'normal') as EsSpec['distribution'];
  const dofPath = fieldPath(path, 'degreesOfFreedom');
  const dofRaw = own(e, 'degreesOfFreedom');
  let degreesOfFreedom = Infinity;
  if (distribution === 'student-t') {
    if (dofRaw === undefined) fail(src, dofPath, 'required with distribution "student-t": expected a number > 2 (e.g. 5), got nothing');
    degreesOfFreedom = num(src, dofPath, dofRaw, ABOVE_TWO);
  } else if (dofRaw !== undefined && dofRaw !== Infinity) {
    // Infinity is what a validated "normal" spec carries (JSON cannot write it): validating a
    // validated spec again gives it back.
    fail(src, dofPath, `applies to distribution "student-t" only, but the distribution is "normal"${distRaw === undefined ? ' (the default)' : ''}; `
      + `got ${show(dofRaw)}`);
  }

  const correlations: [string, string, number][] = [];
  const cRaw = own(e, 'correlations');
  if (cRaw !== undefined) {
    const cp = fieldPath(path, 'correlations');
    const seen = new Map<string, Map<string, { rho: number; at: number }>>();
    list(src, cp, cRaw, 'a list of [underlying, underlying, correlation] triples').forEach((item, k) => {
      const ip = indexPath(cp, k);
      const triple = 'a triple [underlying, underlying, correlation] such as ["BTC", "ETH", 0.8]';
      if (!Array.isArray(item) || item.length !== 3) expected(src, ip, triple, item);
      const ids = [0, 1].map((m) => {
        const id = nonEmptyString(src, indexPath(ip, m), item[m]);
        if (market && !market.underlyings.index.has(id) && !isVolFactor(market, id)) {
          const vf = id.endsWith('.vol') && market.underlyings.index.has(id.slice(0, -4))
            ? `unknown vol factor ${show(id)}: underlying ${show(id.slice(0, -4))} has no volOfVol`
            : `unknown underlying ${show(id)}`;
          fail(src, indexPath(ip, m), `${vf}; the market's underlyings are ${someIds(market.underlyings.ids)}`);
        }
        return id;
      });
      const [u1, u2] = ids;
      if (u1 === u2) fail(src, ip, `a correlation pairs two different underlyings, got ${show(u1)} twice`);
      const rho = num(src, indexPath(ip, 2), item[2], CORRELATION);
      const [a, b] = u1 < u2 ? [u1, u2] : [u2, u1];
      let inner = seen.get(a);
      if (!inner) { inner = new Map(); seen.set(a, inner); }
      const before = inner.get(b);
      if (before && before.rho !== rho) {
        fail(src, ip, `the pair ${u1}/${u2} is given again with ${rho}; ${indexPath(cp, before.at)} gives ${before.rho}`);
      }
      if (!before) inner.set(b, { rho, at: k });
      correlations.push([u1, u2, rho]);
    });
  }

  return {
    confidence, horizonDays, scenarios, seed, distribution, degreesOfFreedom, correlations,
    maintenanceRatio: optNum(src, path, e, 'maintenanceRatio', MAINTENANCE_RATIO, 1),
  };
}
