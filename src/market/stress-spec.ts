/**
 * Validation of a stress block: `risk.stress` of a market, or a stress file (`--stress FILE`)
 * holding one block:
 *
 *   { "scenarios": [ { "name": "Crypto crash", "spot": { "BTC": -0.3, "ETH": -0.4 }, "vol": { "BTC": 0.5 } } ],
 *     "cover": 1.0, "floor": true, "horizonDays": 0 }
 *
 * Rules (each failure is an InputError `<source>: <path>: ...`):
 * - `scenarios`: a non-empty list; each has a non-empty `name`, unique in the block, and moves at
 *   least one underlying. `spot[u]` is a relative move > -1: S' = S (1 + move); `vol[u]` a relative
 *   move > -1, or { move > -1, absolute, skew } (each default 0): for every option on u,
 *   vol' = vol (1 + move) + absolute + skew ln(K / F) (no tenor weighting; F today's forward to the
 *   option's expiry; docs/methods.md §5.7), which must stay > 0. Underlyings not named do not
 *   move. With a market, every named underlying must be one of its underlyings. An optional
 *   `description` string per scenario.
 * - `cover` > 0, default 1: the floor is cover * max(worst stress loss, 0).
 * - `floor` true or false, default false: whether the floor applies to the initial margin
 *   (false: stress losses are reported only).
 * - `horizonDays` >= 0, default 0: options age horizonDays / 365 years.
 * - `volDynamics`: "sticky-strike" (default) or "sticky-moneyness" (docs/methods.md §5.7).
 * - `scenarios[s].basis[u]`: an annualised basis move b in [-1, 1]: every future, perpetual and
 *   option on a future of u revalues at F' = F (S'/S) e^(b max(tau, basisMinYears)); `basisMinYears`
 *   in [0, 100], default 0 (docs/methods.md §6.10, §10.1).
 * - `$schema` and `description` strings are allowed at the top.
 */
import { show } from '../errors.js';
import { volDynamicsOf } from './grid-spec.js';
import type { ResolvedMarket, StressScenarioSpec, StressSpec } from './types.js';
import {
  ABOVE_MINUS_ONE, checkKeys, expected, fail, fieldPath, FINITE, indexPath, keysOf, list, NON_NEGATIVE, num, object, optNum, own,
  POSITIVE, someIds,
} from './validate.js';

export const STRESS_KEYS = ['$schema', 'description', 'scenarios', 'cover', 'floor', 'horizonDays', 'volDynamics', 'basisMinYears'] as const;
const VOL_MOVE_KEYS = ['move', 'absolute', 'skew'] as const;
const BASIS_MOVE = { text: 'a finite number between -1 and 1 (an annualised log move of the basis)', ok: (x: number) => x >= -1 && x <= 1 };
const SCENARIO_KEYS = ['name', 'description', 'spot', 'vol', 'basis'] as const;
const SCENARIOS_TEXT = 'a non-empty list of scenarios such as { "name": "Crash", "spot": { "BTC": -0.3 } }';

/** Validates a stress block; `path` is where it sits in `source` ('' for a stress file). */
export function validateStress(json: unknown, source: string, path = 'risk.stress', market?: ResolvedMarket): StressSpec {
  const src = source;
  const o = object(src, path, json);
  checkKeys(src, path, o, STRESS_KEYS, 'a stress block');
  for (const k of ['$schema', 'description'] as const) {
    const v = own(o, k);
    if (v !== undefined && typeof v !== 'string') expected(src, fieldPath(path, k), 'a string', v);
  }
  const sp = fieldPath(path, 'scenarios');
  const raw = list(src, sp, own(o, 'scenarios'), SCENARIOS_TEXT);
  if (raw.length === 0) expected(src, sp, SCENARIOS_TEXT, raw);
  const names = new Map<string, number>();
  const scenarios = raw.map((item, j): StressScenarioSpec => {
    const ip = indexPath(sp, j);
    const s = object(src, ip, item, 'a scenario such as { "name": "Crash", "spot": { "BTC": -0.3 } }');
    checkKeys(src, ip, s, SCENARIO_KEYS, 'a stress scenario');
    const name = own(s, 'name');
    if (typeof name !== 'string' || name.trim() === '') expected(src, fieldPath(ip, 'name'), 'a non-empty name', name);
    const before = names.get(name);
    if (before !== undefined) fail(src, fieldPath(ip, 'name'), `the name ${show(name)} is already used by ${indexPath(sp, before)}; names must be unique`);
    names.set(name, j);
    const d = own(s, 'description');
    if (d !== undefined && typeof d !== 'string') expected(src, fieldPath(ip, 'description'), 'a string', d);
    const moves = (key: 'spot' | 'basis'): Map<string, number> => {
      const out = new Map<string, number>();
      const v = own(s, key);
      if (v === undefined) return out;
      const mp = fieldPath(ip, key);
      const m = object(src, mp, v, key === 'spot' ? 'a JSON object of relative spot moves keyed by underlying, such as { "BTC": -0.3 }'
        : 'a JSON object of annualised basis moves keyed by underlying, such as { "BTC": 0.05 }');
      for (const id of keysOf(m)) {
        const p = fieldPath(mp, id);
        if (market && !market.underlyings.index.has(id)) {
          fail(src, p, `unknown underlying ${show(id)}; the market's underlyings are ${someIds(market.underlyings.ids)}`);
        }
        out.set(id, num(src, p, own(m, id), key === 'spot' ? ABOVE_MINUS_ONE : BASIS_MOVE));
      }
      return out;
    };
    const spot = moves('spot'), basis = moves('basis');
    // vol: a relative move, or { move (> -1, default 0), absolute (finite, default 0), skew (finite, default 0) }.
    const vol = new Map<string, number>(), volAbsolute = new Map<string, number>(), volSkew = new Map<string, number>();
    const vRaw = own(s, 'vol');
    if (vRaw !== undefined) {
      const mp = fieldPath(ip, 'vol');
      const m = object(src, mp, vRaw, 'a JSON object of vol moves keyed by underlying, such as { "BTC": 0.5 } or { "BTC": { "absolute": 0.1 } }');
      for (const id of keysOf(m)) {
        const p = fieldPath(mp, id);
        if (market && !market.underlyings.index.has(id)) {
          fail(src, p, `unknown underlying ${show(id)}; the market's underlyings are ${someIds(market.underlyings.ids)}`);
        }
        const x = own(m, id);
        if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
          const e = x as Record<string, unknown>;
          checkKeys(src, p, e, VOL_MOVE_KEYS, 'a vol move');
          vol.set(id, optNum(src, p, e, 'move', ABOVE_MINUS_ONE, 0));
          const a = optNum(src, p, e, 'absolute', FINITE, 0), k = optNum(src, p, e, 'skew', FINITE, 0);
          if (a !== 0) volAbsolute.set(id, a);
          if (k !== 0) volSkew.set(id, k);
        } else vol.set(id, num(src, p, x, ABOVE_MINUS_ONE));
      }
    }
    if (spot.size === 0 && vol.size === 0 && basis.size === 0) fail(src, ip, `scenario ${show(name)} moves nothing: give "spot", "vol" or "basis" moves`);
    const out: StressScenarioSpec = { name, spot, vol };
    if (volAbsolute.size > 0) out.volAbsolute = volAbsolute;
    if (volSkew.size > 0) out.volSkew = volSkew;
    if (basis.size > 0) out.basis = basis;
    return out;
  });
  const floorRaw = own(o, 'floor');
  if (floorRaw !== undefined && typeof floorRaw !== 'boolean') expected(src, fieldPath(path, 'floor'), 'true or false', floorRaw);
  const spec: StressSpec = {
    scenarios,
    cover: optNum(src, path, o, 'cover', POSITIVE, 1),
    floor: floorRaw ?? false,
    horizonDays: optNum(src, path, o, 'horizonDays', NON_NEGATIVE, 0),
  };
  const dyn = volDynamicsOf(src, path, o);
  if (dyn) spec.volDynamics = dyn;
  if (own(o, 'basisMinYears') !== undefined) spec.basisMinYears = optNum(src, path, o, 'basisMinYears', { text: 'a number >= 0 and <= 100 (years)', ok: (x: number) => x >= 0 && x <= 100 }, 0);
  return spec;
}

