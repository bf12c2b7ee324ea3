/**
 * Validation of a filtered-historical-simulation block: `risk.fhs` of a market, or a preset file
 * holding one FHS block. Returns an FhsSpec with every default filled in.
 *
 * Rules (each failure is an InputError `<source>: <path>: ...`):
 * - `confidence` strictly between 0 and 1 (required).
 * - `horizonDays` a whole number >= 1 (required): the margin period of risk, in steps of the
 *   history (trading days of a daily history); options age horizonDays / 365 years.
 * - `lambda` in (0, 1], default 0.97: the EWMA decay (1: no filtering, plain historical simulation).
 * - `seedReturns` a whole number >= 1, default 30: the first returns, whose mean square seeds the
 *   EWMA variance; they are not scenarios.
 * - `horizonMethod` "overlapping" (default: the sum of h consecutive filtered daily returns, one
 *   scenario per end date) or "sqrt" (sqrt(h) times one filtered daily return).
 * - `lookback` a whole number >= 1 (optional): only the most recent `lookback` filtered scenarios
 *   are used; absent, every scenario the history gives.
 * - `stressedPeriod` `{ "from": "YYYY-MM-DD", "to": "YYYY-MM-DD" }` with from <= to (optional):
 *   the unfiltered scenarios ending on those dates are always added.
 * - `maintenanceRatio` in (0, 1], default 1. `$schema` and `description` strings are allowed.
 */
import { optVersion } from './preset-id.js';
import type { FhsSpec } from './types.js';
import {
  checkKeys, expected, fail, fieldPath, integerIn, MAINTENANCE_RATIO, object, optNum, own, POSITIVE, reqNum, UNIT_OPEN, type NumberRule,
} from './validate.js';
import { dayNumber } from '../math/days.js';

export const FHS_KEYS = ['$schema', 'description', 'version', 'confidence', 'horizonDays', 'lambda', 'seedReturns', 'horizonMethod',
  'lookback', 'stressedPeriod', 'maintenanceRatio'] as const;
const PERIOD_KEYS = ['from', 'to'] as const;

/** Defaults of an FHS block. */
export const FHS_DEFAULTS = { lambda: 0.97, seedReturns: 30, horizonMethod: 'overlapping' } as const;

const DECAY: NumberRule = { text: 'a number in (0, 1]', ok: (x) => x > 0 && x <= 1 };
const WHOLE: NumberRule = integerIn(1, Number.MAX_SAFE_INTEGER);
const DAY_TEXT = 'a day YYYY-MM-DD such as "2020-03-02"';

/** Validates an FHS block; `path` is where it sits in `source` ('' for a file holding only the block). */
export function validateFhs(json: unknown, source: string, path = 'risk.fhs'): FhsSpec {
  const src = source;
  const e = object(src, path, json, 'a JSON object (an FHS block)');
  checkKeys(src, path, e, FHS_KEYS, 'an FHS block');
  for (const k of ['$schema', 'description'] as const) {
    const v = own(e, k);
    if (v !== undefined && typeof v !== 'string') expected(src, fieldPath(path, k), 'a string', v);
  }
  optVersion(src, path, e);
  const confidence = reqNum(src, path, e, 'confidence', UNIT_OPEN);
  const horizonDays = reqNum(src, path, e, 'horizonDays', WHOLE);
  const lambda = optNum(src, path, e, 'lambda', DECAY, FHS_DEFAULTS.lambda);
  const seedReturns = optNum(src, path, e, 'seedReturns', WHOLE, FHS_DEFAULTS.seedReturns);
  const hm = own(e, 'horizonMethod');
  if (hm !== undefined && hm !== 'overlapping' && hm !== 'sqrt') {
    expected(src, fieldPath(path, 'horizonMethod'), '"overlapping" or "sqrt"', hm);
  }
  const lookbackRaw = own(e, 'lookback');
  const lookback = lookbackRaw === undefined ? undefined : reqNum(src, path, e, 'lookback', WHOLE);
  let stressedPeriod: FhsSpec['stressedPeriod'];
  const spRaw = own(e, 'stressedPeriod');
  if (spRaw !== undefined) {
    const pp = fieldPath(path, 'stressedPeriod');
    const sp = object(src, pp, spRaw, 'a JSON object such as { "from": "2020-02-20", "to": "2020-04-30" }');
    checkKeys(src, pp, sp, PERIOD_KEYS, 'a stressed period');
    const [from, to] = PERIOD_KEYS.map((k) => {
      const v = own(sp, k);
      if (typeof v !== 'string' || Number.isNaN(dayNumber(v))) expected(src, fieldPath(pp, k), DAY_TEXT, v);
      return v;
    });
    if (dayNumber(from) > dayNumber(to)) fail(src, pp, `the period ends (${to}) before it starts (${from})`);
    stressedPeriod = { from, to };
  }
  const spec: FhsSpec = {
    confidence, horizonDays, lambda, seedReturns,
    horizonMethod: (hm ?? FHS_DEFAULTS.horizonMethod) as FhsSpec['horizonMethod'],
    maintenanceRatio: optNum(src, path, e, 'maintenanceRatio', MAINTENANCE_RATIO, 1),
  };
  if (lookback !== undefined) spec.lookback = lookback;
  if (stressedPeriod) spec.stressedPeriod = stressedPeriod;
  return spec;
}
