/**
 * Loading a market snapshot (docs/methods.md §2): JSON text or a parsed value in, a validated
 * ResolvedMarket out (flat typed arrays, ids in Maps, the kernel's instrument table).
 *
 * Every invalid field throws an InputError with a one-line message naming the source, the JSON
 * path, the value found and what was expected, e.g.
 *   `market.json: underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got -5`.
 *
 * Bounds (src/market/validate.ts, MAX_*), so that every value, price and P&L the kernels compute is
 * finite: spot, strike, price, contract size and contract size x spot / strike / price <= 1e15;
 * |rate|, |yield| <= 1; vols in (0, 10]; |time to expiry| <= 100 years.
 *
 * Choices the loader makes (docs/methods.md §2 states them):
 * - Ids are data: they go into Maps and arrays, never become object lookups, so "__proto__",
 *   "constructor" or "toString" are ordinary ids. An id must be a non-empty string.
 * - Product groups: an underlying with `group` joins the named group; one without forms a group of
 *   its own whose id (in `groups.ids`) is the underlying's id. Named groups and own groups are
 *   separate namespaces: `groups.index` maps only named group ids, so an ungrouped underlying "BTC"
 *   and a named group "BTC" are two groups. (`groups.index.get(groups.ids[g]) === g` tells whether
 *   group g is a named one.) A grid's `groups` block can only name named groups.
 * - Groups are numbered in order of first appearance among the underlyings, underlyings and
 *   instruments in the file's key order.
 * - Unknown fields are rejected everywhere (a typo such as "strke" names itself); so are fields
 *   of another instrument kind (a `strike` on a future). `$schema` and `description` strings are
 *   allowed at the top level, for editors and readers.
 * - `risk` may hold `grid`, `es`, `fhs` (src/market/fhs-spec.ts) and `stress` (src/market/stress-spec.ts, checked
 *   against the market's underlyings), all validated here. Other keys are rejected.
 * - A future whose expiry is before asOf is accepted (a stale snapshot): its T is negative; when F
 *   is derived it is the spot (F = S e^{(r-q) max(T, 0)}), since a future at or after expiry is
 *   worth its underlying. An option whose expiry is before asOf has T < 0 and is worth its
 *   intrinsic value (docs/methods.md §3.4).
 * - `settlement` is "linear" (the default) or "inverse" (settled in the coin, as Deribit's BTC
 *   contracts): one rule for the whole engine. The snapshot accepts both; `instruments.inverse`
 *   marks the inverse ones. The run methods (grid, es, fhs) margin in `currency` and give a
 *   portfolio holding an inverse contract an error row naming it; `margin-engine accounts` margins
 *   it in a coin-margined account.
 * - Date-times are `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or `+00:00`; a date without a time
 *   is rejected (expiries are often at 08:00 UTC and the engine will not guess midnight).
 */
import {
  COL_CS, COL_F, COL_K, COL_KIND, COL_Q, COL_R, COL_S, COL_T, COL_U, COL_VOL, KIND_CALL, KIND_LINEAR, KIND_PUT,
  KIND_SPOT, NCOLS, YEAR_SECONDS, COL_STYLE, STYLE_AMERICAN,
} from '../layout.js';
import { InputError, show } from '../errors.js';
import type { InstrumentKind, ResolvedInstruments, ResolvedMarket, ResolvedUnderlyings } from './types.js';
import { validateGrid } from './grid-spec.js';
import { validateEs } from './es-spec.js';
import { validateFhs } from './fhs-spec.js';
import { validateStress } from './stress-spec.js';
import { surfaceVol, validateSurface, type ResolvedSurface } from '../surface/surface.js';
import {
  checkKeys, expected, fail, fieldPath, keysOf, MAX_MONEY, MAX_YEARS, MONEY, nonEmptyString, object, optNum, own,
  RATE, readJson, reqNum, someIds, utc, VOL,
} from './validate.js';

const TOP_KEYS = ['$schema', 'description', 'asOf', 'currency', 'underlyings', 'instruments', 'risk'] as const;
const UNDERLYING_KEYS = ['spot', 'rate', 'yield', 'vol', 'volOfVol', 'group', 'surface'] as const;
const KINDS: readonly InstrumentKind[] = ['spot', 'future', 'perpetual', 'option'];
/** The fields each instrument kind takes. */
export const INSTRUMENT_FIELDS: Readonly<Record<InstrumentKind, readonly string[]>> = {
  spot: ['kind', 'underlying', 'contractSize'],
  future: ['kind', 'underlying', 'contractSize', 'expiry', 'price', 'settlement'],
  perpetual: ['kind', 'underlying', 'contractSize', 'price', 'settlement'],
  option: ['kind', 'underlying', 'contractSize', 'right', 'strike', 'expiry', 'vol', 'style', 'settlement', 'future'],
};
/** Blocks `risk` may hold. */
const RISK_KEYS = ['grid', 'es', 'fhs', 'stress'] as const;

const MS_PER_YEAR = YEAR_SECONDS * 1000;

/** Parses and resolves a market snapshot from JSON text. `source` names it in messages. */
export function parseMarket(text: string, source = 'market'): ResolvedMarket {
  if (typeof text !== 'string') throw new InputError(`${source}: expected the market's JSON text, got ${show(text)} (for a parsed value: resolveMarket)`, { file: source });
  return resolveMarket(readJson(text, source), source);
}

/** Validates and resolves a market snapshot already parsed from JSON (or built in code). */
export function resolveMarket(json: unknown, source = 'market'): ResolvedMarket {
  const src = source;
  const root = object(src, '', json, 'a JSON object at the top level');
  checkKeys(src, '', root, TOP_KEYS);
  for (const k of ['$schema', 'description'] as const) {
    const v = own(root, k);
    if (v !== undefined && typeof v !== 'string') expected(src, k, 'a string', v);
  }

  const asOf = own(root, 'asOf');
  const asOfMs = utc(src, 'asOf', asOf);
  const currency = nonEmptyString(src, 'currency', own(root, 'currency'));

  const { underlyings, groups } = resolveUnderlyings(src, own(root, 'underlyings'), asOfMs);
  const { instruments, table } = resolveInstruments(src, own(root, 'instruments'), asOfMs, underlyings);

  const market: ResolvedMarket = {
    asOf: asOf as string, asOfMs, currency, underlyings, groups, instruments, table, risk: {}, source: src,
  };

  const risk = own(root, 'risk');
  if (risk !== undefined) {
    const r = object(src, 'risk', risk);
    checkKeys(src, 'risk', r, RISK_KEYS);
    const grid = own(r, 'grid');
    if (grid !== undefined) market.risk.grid = validateGrid(grid, src, 'risk.grid', market);
    const es = own(r, 'es');
    if (es !== undefined) market.risk.es = validateEs(es, src, 'risk.es', market);
    const fhs = own(r, 'fhs');
    if (fhs !== undefined) market.risk.fhs = validateFhs(fhs, src, 'risk.fhs');
    const stress = own(r, 'stress');
    if (stress !== undefined) market.risk.stress = validateStress(stress, src, 'risk.stress', market);
  }
  return market;
}

function resolveUnderlyings(src: string, json: unknown, asOfMs: number): {
  underlyings: ResolvedUnderlyings; groups: ResolvedMarket['groups'];
} {
  const path = 'underlyings';
  const o = object(src, path, json, 'a JSON object of underlyings keyed by id');
  const ids = keysOf(o);
  const n = ids.length;
  const index = new Map<string, number>();
  const spot = new Float64Array(n), rate = new Float64Array(n), yld = new Float64Array(n);
  const vol = new Float64Array(n), group = new Int32Array(n), volOfVol = new Float64Array(n);
  const groupIds: string[] = [];
  const named = new Map<string, number>();
  let surface: (ResolvedSurface | undefined)[] | undefined;
  for (let u = 0; u < n; u++) {
    const id = ids[u];
    const p = fieldPath(path, id);
    if (id === '') expected(src, p, 'a non-empty underlying id', id);
    const e = object(src, p, own(o, id));
    checkKeys(src, p, e, UNDERLYING_KEYS);
    index.set(id, u);
    spot[u] = reqNum(src, p, e, 'spot', MONEY);
    rate[u] = optNum(src, p, e, 'rate', RATE, 0);
    yld[u] = optNum(src, p, e, 'yield', RATE, 0);
    vol[u] = optNum(src, p, e, 'vol', VOL, NaN);
    volOfVol[u] = optNum(src, p, e, 'volOfVol', VOL, NaN);
    const sj = own(e, 'surface');
    if (sj !== undefined) (surface ??= new Array(n).fill(undefined))[u] = validateSurface(sj, id, asOfMs, src, fieldPath(p, 'surface'));
    const g = own(e, 'group');
    if (g === undefined) {
      group[u] = groupIds.length;
      groupIds.push(id);
    } else {
      const name = nonEmptyString(src, fieldPath(p, 'group'), g);
      let gi = named.get(name);
      if (gi === undefined) { gi = groupIds.length; groupIds.push(name); named.set(name, gi); }
      group[u] = gi;
    }
  }
  const underlyings: ResolvedUnderlyings = { ids, index, spot, rate, yield: yld, vol, volOfVol, group };
  if (surface) underlyings.surface = surface;
  return { underlyings, groups: { ids: groupIds, index: named } };
}

function resolveInstruments(src: string, json: unknown, asOfMs: number, und: ResolvedUnderlyings): {
  instruments: ResolvedInstruments; table: Float64Array;
} {
  const path = 'instruments';
  const o = object(src, path, json, 'a JSON object of instruments keyed by id');
  const ids = keysOf(o);
  const n = ids.length;
  const index = new Map<string, number>();
  const kind = new Int32Array(n), underlying = new Int32Array(n);
  const inputKind: InstrumentKind[] = [];
  const contractSize = new Float64Array(n), strike = new Float64Array(n), T = new Float64Array(n);
  const vol = new Float64Array(n), refPrice = new Float64Array(n);
  const table = new Float64Array(NCOLS * n);
  let inverse: Uint8Array | undefined;
  let fromSurface: Uint8Array | undefined;
  let american: Uint8Array | undefined;
  /** Options on futures, resolved once every future's price is known: [option, future id, path]. */
  const onFutures: [number, unknown, string][] = [];
  const col = (c: number, i: number, v: number) => { table[c * n + i] = v; };
  // Expiries repeat across instruments: read each distinct string once.
  const years = new Map<unknown, number>();
  const yearsTo = (at: string, v: unknown) => {
    let t = years.get(v);
    if (t === undefined) { t = (utc(src, at, v) - asOfMs) / MS_PER_YEAR; years.set(v, t); }
    if (!(Math.abs(t) <= MAX_YEARS)) {
      fail(src, at, `expected an expiry within ${MAX_YEARS} years of asOf, got ${show(v)} (${fmtNum(t)} years ${t > 0 ? 'after' : 'before'} asOf)`);
    }
    return t;
  };
  /** Rejects a contract worth more than MAX_MONEY: contractSize x `what` (a spot, strike or price). */
  const notional = (at: string, cs: number, what: string, x: number) => {
    if (!(cs * x <= MAX_MONEY)) {
      fail(src, fieldPath(at, 'contractSize'), `contractSize ${cs} times the ${what} ${fmtNum(x)} is ${fmtNum(cs * x)} a contract; `
        + `expected at most ${MAX_MONEY.toExponential()}`);
    }
  };

  for (let i = 0; i < n; i++) {
    const id = ids[i];
    const p = fieldPath(path, id);
    if (id === '') expected(src, p, 'a non-empty instrument id', id);
    const e = object(src, p, own(o, id));
    const k = own(e, 'kind');
    if (typeof k !== 'string' || !(KINDS as readonly string[]).includes(k)) {
      expected(src, fieldPath(p, 'kind'), 'one of "spot", "future", "perpetual", "option"', k);
    }
    const ik = k as InstrumentKind;
    checkKeys(src, p, e, INSTRUMENT_FIELDS[ik], ik === 'option' ? 'an option' : `a ${ik}`);
    index.set(id, i);
    inputKind.push(ik);

    const uPath = fieldPath(p, 'underlying');
    const uid = own(e, 'underlying');
    if (typeof uid !== 'string') expected(src, uPath, 'the id of an underlying', uid);
    const u = und.index.get(uid);
    if (u === undefined) fail(src, uPath, `unknown underlying ${show(uid)}; the market's underlyings are ${someIds(und.ids)}`);
    underlying[i] = u;
    contractSize[i] = optNum(src, p, e, 'contractSize', MONEY, 1);
    notional(p, contractSize[i], `spot of ${show(uid)}`, und.spot[u]);

    const settlement = own(e, 'settlement');
    if (settlement === 'inverse') (inverse ??= new Uint8Array(n))[i] = 1;
    else if (settlement !== undefined && settlement !== 'linear') {
      expected(src, fieldPath(p, 'settlement'), '"linear" or "inverse"', settlement);
    }

    const S = und.spot[u];
    const r = und.rate[u], q = und.yield[u];
    switch (ik) {
      case 'spot':
        kind[i] = KIND_SPOT;
        break;
      case 'future': {
        kind[i] = KIND_LINEAR;
        T[i] = yearsTo(fieldPath(p, 'expiry'), own(e, 'expiry'));
        refPrice[i] = optNum(src, p, e, 'price', MONEY, NaN);
        if (Number.isNaN(refPrice[i])) {
          refPrice[i] = S * Math.exp((r - q) * Math.max(T[i], 0));
          notional(p, contractSize[i], 'derived price S e^((rate - yield) T)', refPrice[i]);
        } else notional(p, contractSize[i], 'price', refPrice[i]);
        break;
      }
      case 'perpetual':
        kind[i] = KIND_LINEAR;
        refPrice[i] = optNum(src, p, e, 'price', MONEY, S);
        notional(p, contractSize[i], 'price', refPrice[i]);
        break;
      case 'option': {
        const right = own(e, 'right');
        if (right !== 'call' && right !== 'put') expected(src, fieldPath(p, 'right'), '"call" or "put"', right);
        kind[i] = right === 'call' ? KIND_CALL : KIND_PUT;
        strike[i] = reqNum(src, p, e, 'strike', MONEY);
        notional(p, contractSize[i], 'strike', strike[i]);
        T[i] = yearsTo(fieldPath(p, 'expiry'), own(e, 'expiry'));
        const surface = und.surface?.[u];
        const fut = own(e, 'future');
        if (fut !== undefined) {
          // Priced off the future once its price is known (below); a vol of its own is read now.
          onFutures.push([i, fut, p]);
          vol[i] = own(e, 'vol') !== undefined || !surface ? reqNum(src, p, e, 'vol', VOL) : NaN;
        } else if (own(e, 'vol') !== undefined || !surface) {
          vol[i] = reqNum(src, p, e, 'vol', VOL);
        } else {
          // The surface's vol at the option's strike and expiry (moneyness K / F_T, F_T the forward S e^((r - q) T)).
          const F = S * Math.exp((r - q) * Math.max(T[i], 0));
          const v = surfaceVol(surface, strike[i], T[i], F);
          if (!VOL.ok(v)) {
            fail(src, fieldPath(p, 'vol'), `the surface of ${show(uid)} gives no usable vol at strike ${fmtNum(strike[i])}, `
              + `T ${fmtNum(T[i])} (forward ${fmtNum(F)}): got ${v}`);
          }
          vol[i] = v;
          (fromSurface ??= new Uint8Array(n))[i] = 1;
        }
        const style = own(e, 'style');
        if (style === 'american') {
          (american ??= new Uint8Array(n))[i] = 1;
          col(COL_STYLE, i, STYLE_AMERICAN);
        } else if (style !== undefined && style !== 'european') {
          expected(src, fieldPath(p, 'style'), '"european" or "american"', style);
        }
        break;
      }
    }
    col(COL_KIND, i, kind[i]);
    col(COL_S, i, S);
    col(COL_K, i, strike[i]);
    col(COL_T, i, T[i]);
    col(COL_R, i, r);
    col(COL_Q, i, q);
    col(COL_VOL, i, vol[i]);
    col(COL_CS, i, contractSize[i]);
    col(COL_F, i, refPrice[i]);
    col(COL_U, i, u);
  }
  // Options on futures (docs/methods.md §3.3): Black-76 on the future's price F with the option's
  // own expiry, discounted at the underlying's rate: in the table the BSM row of spot F and yield r
  // (carry 0), so every kernel prices and shocks it off F (F' = F m in a scenario, as the future).
  let future: Int32Array | undefined;
  for (const [i, fut, p] of onFutures) {
    const fp = fieldPath(p, 'future');
    if (typeof fut !== 'string') expected(src, fp, 'the id of a future of the market', fut);
    const f = index.get(fut);
    if (f === undefined) fail(src, fp, `unknown instrument ${show(fut)}; expected the id of a future of the market`);
    if (inputKind[f] !== 'future') fail(src, fp, `${show(fut)} is a ${inputKind[f]}; an option may be written on a future only`);
    const u = underlying[i];
    if (underlying[f] !== u) {
      fail(src, fp, `the future ${show(fut)} is on ${show(und.ids[underlying[f]])}, the option on ${show(und.ids[u])}: they must have the same underlying`);
    }
    if (T[i] > T[f]) {
      fail(src, fieldPath(p, 'expiry'), `the option expires after its future ${show(fut)} (${fmtNum(T[i])} against ${fmtNum(T[f])} years from asOf); `
        + 'an option on a future expires at or before it');
    }
    const F = refPrice[f], r = und.rate[u];
    const surface = und.surface?.[u];
    if (Number.isNaN(vol[i])) {
      // The surface read at the option's moneyness against the future's price: K / F.
      const v = surfaceVol(surface!, strike[i], T[i], F);
      if (!VOL.ok(v)) {
        fail(src, fieldPath(p, 'vol'), `the surface of ${show(und.ids[u])} gives no usable vol at strike ${fmtNum(strike[i])}, `
          + `T ${fmtNum(T[i])} (the future's price ${fmtNum(F)}): got ${v}`);
      }
      vol[i] = v;
      (fromSurface ??= new Uint8Array(n))[i] = 1;
    }
    notional(p, contractSize[i], `price of the future ${show(fut)}`, F);
    (future ??= new Int32Array(n).fill(-1))[i] = f;
    col(COL_S, i, F);
    col(COL_Q, i, r);
    col(COL_VOL, i, vol[i]);
  }
  const instruments: ResolvedInstruments = { ids, index, kind, inputKind, underlying, contractSize, strike, T, vol, refPrice };
  if (inverse) instruments.inverse = inverse;
  if (fromSurface) instruments.volFromSurface = fromSurface;
  if (future) instruments.future = future;
  if (american) instruments.american = american;
  return { instruments, table };
}

/** A number for a message: 6 significant digits. */
function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const p = Number(x.toPrecision(6));
  return Math.abs(p) >= 1e15 ? p.toExponential() : String(p);
}
