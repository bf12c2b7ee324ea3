/**
 * Validation of a stress block: `risk.stress` of a market, or a stress file (`--stress FILE`)
 * holding one block:
 *
 *   { "scenarios": [ { "name": "Crypto crash", "spot": { "BTC": -0.3, "ETH": -0.4 }, "vol": { "BTC": 0.5 } } ],
 *     "cover": 1.0, "floor": true, "horizonDays": 0 }
 *
 * Rules (each failure is an InputError `<source>: <path>: ...`):
 * - `scenarios`: a non-empty list; each has a non-empty `name`, unique in the block, and moves at
 *   least one underlying. `spot[u]` and `vol[u]` are relative moves > -1: S' = S (1 + move) and,
 *   for every option on u, vol' = vol (1 + move) (no tenor weighting). Underlyings not named do not
 *   move. With a market, every named underlying must be one of its underlyings. An optional
 *   `description` string per scenario.
 * - `cover` > 0, default 1: the floor is cover * max(worst stress loss, 0).
 * - `floor` true or false, default false: whether the floor applies to the initial margin
 *   (false: stress losses are reported only).
 * - `horizonDays` >= 0, default 0: options age horizonDays / 365 years.
 * - `$schema` and `description` strings are allowed at the top.
 */
import { show } from '../errors.js';
import type { ResolvedMarket, StressScenarioSpec, StressSpec } from './types.js';
import {
  ABOVE_MINUS_ONE, checkKeys, expected, fail, fieldPath, indexPath, keysOf, list, NON_NEGATIVE, num, object, optNum, own,
  POSITIVE, someIds,
} from './validate.js';

export const STRESS_KEYS = ['$schema', 'description', 'scenarios', 'cover', 'floor', 'horizonDays'] as const;
const SCENARIO_KEYS = ['name', 'description', 'spot', 'vol'] as const;
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
    const moves = (key: 'spot' | 'vol'): Map<string, number> => {
      const out = new Map<string, number>();
      const v = own(s, key);
      if (v === undefined) return out;
      const mp = fieldPath(ip, key);
      const m = object(src, mp, v, `a JSON object of relative ${key} moves keyed by underlying, such as { "BTC": -0.3 }`);
      for (const id of keysOf(m)) {
        const p = fieldPath(mp, id);
        if (market && !market.underlyings.index.has(id)) {
          fail(src, p, `unknown underlying ${show(id)}; the market's underlyings are ${someIds(market.underlyings.ids)}`);
        }
        out.set(id, num(src, p, own(m, id), ABOVE_MINUS_ONE));
      }
      return out;
    };
    const spot = moves('spot'), vol = moves('vol');
    if (spot.size === 0 && vol.size === 0) fail(src, ip, `scenario ${show(name)} moves nothing: give "spot" or "vol" moves`);
    return { name, spot, vol };
  });
  const floorRaw = own(o, 'floor');
  if (floorRaw !== undefined && typeof floorRaw !== 'boolean') expected(src, fieldPath(path, 'floor'), 'true or false', floorRaw);
  return {
    scenarios,
    cover: optNum(src, path, o, 'cover', POSITIVE, 1),
    floor: floorRaw ?? false,
    horizonDays: optNum(src, path, o, 'horizonDays', NON_NEGATIVE, 0),
  };
}

