/**
 * Checks at the public entry points that take a market or a method block as an object: a wrong
 * object is an InputError with a message (what was expected, what was given, what to call), never
 * a TypeError from deep inside. A method block may be given as validated (validateGrid,
 * validateEs, validateFhs, validateStress, a preset) or as its JSON form, which is validated here
 * against the market (messages name `options` and the option's name).
 */
import { InputError, show } from './errors.js';
import type {
  AccountMarket, EsInput, EsSpec, FhsInput, FhsSpec, GridInput, GridSpec, ResolvedMarket, StressInput, StressSpec,
} from './market/types.js';
import { validateGrid } from './market/grid-spec.js';
import { validateEs } from './market/es-spec.js';
import { validateFhs } from './market/fhs-spec.js';
import { validateStress } from './market/stress-spec.js';
import { keepPreset } from './market/preset-id.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A market resolved by parseMarket or resolveMarket (its index maps and instrument table). */
export function isResolvedMarket(v: unknown): v is ResolvedMarket {
  if (!isRecord(v)) return false;
  const u = v.underlyings as { index?: unknown } | undefined, i = v.instruments as { index?: unknown } | undefined;
  const g = v.groups as { index?: unknown } | undefined;
  return isRecord(u) && u.index instanceof Map && isRecord(i) && i.index instanceof Map && isRecord(g) && g.index instanceof Map
    && v.table instanceof Float64Array && isRecord(v.risk) && typeof v.source === 'string';
}

/** A market as parseAccountMarket or resolveAccountMarket give it ({ market, inverse }). */
export function isAccountMarket(v: unknown): v is AccountMarket {
  return isRecord(v) && isResolvedMarket(v.market) && v.inverse instanceof Uint8Array;
}

/** `v` when it is a ResolvedMarket; else an InputError naming `where` and what to call. */
export function checkMarket(v: unknown, where: string): ResolvedMarket {
  if (isResolvedMarket(v)) return v;
  const hint = isAccountMarket(v)
    ? 'got an AccountMarket (parseAccountMarket); pass its .market'
    : `got ${show(v)}`;
  throw new InputError(`${where}: expected a market from parseMarket or resolveMarket, ${hint}`, { path: 'market' });
}

/**
 * The resolved market of a market as the account layer takes it: a ResolvedMarket, or an
 * AccountMarket's `.market`; else an InputError naming `where`.
 */
export function accountsMarket(v: unknown, where: string): ResolvedMarket {
  if (isAccountMarket(v)) return v.market;
  if (isResolvedMarket(v)) return v;
  throw new InputError(`${where}: expected a market from parseAccountMarket (or parseMarket), got ${show(v)}`, { path: 'market' });
}

/** An AccountMarket, or a ResolvedMarket wrapped as one (its inverse instruments those the loader marked); else an InputError. */
export function checkAccountMarket(v: unknown, where: string): AccountMarket {
  if (isAccountMarket(v)) return v;
  if (isResolvedMarket(v)) return { market: v, inverse: v.instruments.inverse?.slice() ?? new Uint8Array(v.instruments.ids.length) };
  throw new InputError(`${where}: expected a market from parseAccountMarket (or parseMarket), got ${show(v)}`, { path: 'market' });
}


/** A validated grid (Maps of underlyings and groups) as is; its JSON form validated against the market. */
export function gridOption(v: GridSpec | GridInput, market: ResolvedMarket, name = 'grid'): GridSpec {
  if (isRecord(v) && v.underlyings instanceof Map && v.groups instanceof Map && Array.isArray(v.points)) return v as GridSpec;
  return validateGrid(v, 'options', name, market);
}

/** An ES block, validated (again: validating a validated block gives it back) against the market. */
export function esOption(v: EsSpec | EsInput, market: ResolvedMarket, name = 'es'): EsSpec {
  return keepPreset(v, 'options', name, (b) => validateEs(b, 'options', name, market));
}

/** An FHS block, validated (again: validating a validated block gives it back). */
export function fhsOption(v: FhsSpec | FhsInput, name = 'fhs'): FhsSpec {
  return keepPreset(v, 'options', name, (b) => validateFhs(b, 'options', name));
}

/**
 * A validated stress block (scenarios with Maps of moves) as is; its JSON form (a stress file as
 * parsed, or a market's risk.stress) validated against the market.
 */
export function stressOption(v: StressSpec | StressInput, market: ResolvedMarket, name = 'stress'): StressSpec {
  if (isRecord(v) && Array.isArray(v.scenarios) && v.scenarios.length > 0
    && v.scenarios.every((s) => isRecord(s) && s.spot instanceof Map && s.vol instanceof Map)
    && typeof v.cover === 'number' && typeof v.floor === 'boolean' && typeof v.horizonDays === 'number') {
    return v as StressSpec;
  }
  return validateStress(v, 'options', name, market);
}

/** A value for an "expected ..., got ..." message: a typed array or other class instance by its class. */
export function given(v: unknown): string {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== 'Object' && name !== '') return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  if (typeof v === 'function') return 'a function';
  return show(v);
}

/** An options argument: undefined as {}, an object as is; else an InputError naming `where`. */
export function checkOptions<T extends object>(v: T | undefined, where: string): T {
  if (v === undefined) return {} as T;
  if (isRecord(v)) return v;
  throw new InputError(`${where}: options: expected an object (or nothing), got ${given(v)}`, { path: 'options' });
}

/**
 * The arguments of the whole-text portfolio parsers: a text (a string) or its UTF-8 bytes (a
 * Uint8Array, such as a Buffer), a source name (a string) and options ({ onWarning? }); else an
 * InputError naming `where`.
 */
export function checkParseArgs(text: unknown, source: unknown, options: unknown, where: string): void {
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
    throw new InputError(`${where}: text: expected the file's text (a string) or its UTF-8 bytes (a Uint8Array or Buffer), got ${given(text)}`,
      { path: 'text' });
  }
  if (typeof source !== 'string') {
    throw new InputError(`${where}: source: expected the input's name (a string, such as "book.csv"), got ${given(source)}`, { path: 'source' });
  }
  if (options === undefined) return;
  if (!isRecord(options)) throw new InputError(`${where}: options: expected { onWarning? } (or nothing), got ${given(options)}`, { path: 'options' });
  const w = options.onWarning;
  if (w !== undefined && typeof w !== 'function') {
    throw new InputError(`${where}: options.onWarning: expected a function (message: string) => void, got ${given(w)}`, { path: 'options.onWarning' });
  }
}

const METHODS = ['grid', 'es', 'fhs'];

/**
 * A margin result as the models give it (`{ ok: true, portfolio, method, initialMargin, ... }` or
 * `{ ok: false, portfolio, method, code, message }`); else an InputError naming `where`.
 */
export function checkResult(r: unknown, where: string): void {
  const ok = isRecord(r) && typeof r.portfolio === 'string' && METHODS.includes(r.method as string)
    && (r.ok === true ? typeof r.initialMargin === 'number' && typeof r.maintenanceMargin === 'number'
      : r.ok === false && typeof r.message === 'string' && typeof r.code === 'string');
  if (!ok) {
    throw new InputError(`${where}: expected a margin result (from margin() or marginAll(): { ok, portfolio, method, ... }), got ${given(r)}`,
      { path: 'result' });
  }
}

/** A method name (grid, es or fhs); else an InputError naming `where`. */
export function checkMethod(v: unknown, where: string): void {
  if (!METHODS.includes(v as string)) throw new InputError(`${where}: method: expected one of ${METHODS.join(', ')}, got ${given(v)}`, { path: 'method' });
}

/** The arguments of a text parser: a text (a string) and its name (a string); else an InputError naming `where`. */
export function checkTextArgs(text: unknown, source: unknown, where: string, what: string): void {
  if (typeof text !== 'string') throw new InputError(`${where}: text: expected ${what} (a string), got ${given(text)}`, { path: 'text' });
  if (typeof source !== 'string') throw new InputError(`${where}: source: expected the input's name (a string), got ${given(source)}`, { path: 'source' });
}

/** A price history as parseHistoryCsv gives it; else an InputError naming `where`. */
export function checkHistory(h: unknown, where: string): void {
  const x = h as { source?: unknown; underlyings?: unknown; series?: unknown } | null | undefined;
  if (typeof x !== 'object' || x === null || typeof x.source !== 'string' || !Array.isArray(x.underlyings) || !(x.series instanceof Map)) {
    throw new InputError(`${where}: expected a price history from parseHistoryCsv, got ${given(h)}`, { path: 'history' });
  }
}
