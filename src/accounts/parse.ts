/**
 * Reading an account file (docs/accounts.md, "Account file"): JSON `{ "assets": {...},
 * "accounts": [...] }`, or NDJSON with one account a line and an optional first line
 * `{"assets": {...}}`. Validated against the market the accounts will be margined in.
 *
 * Errors follow the market loader's style, `<source>: <path>: expected <what>, got <value>`:
 * - a bad `assets` block, or a file that is not an account file, throws an InputError (the whole
 *   file is unusable: haircuts and prices are shared by every account);
 * - a bad account becomes an AccountParseError for that account alone (an error row in a report;
 *   the book refuses to start with one).
 */
import { InputError, isInputError, show } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import type { AccountMarket } from './market.js';
import { accountsMarket } from '../options.js';
import {
  checkKeys, expected, fail, FINITE, fieldPath, indexPath, isObject, keysOf, list, NON_NEGATIVE, nonEmptyString,
  num, object, own, POSITIVE, readJson, someIds, type JsonObject, type NumberRule,
} from '../market/validate.js';
import {
  MARGIN_MODES, type AccountEntry, type AccountsFile, type AssetInput, type AssetSpec, type MarginMode,
  type ParsedAccount,
} from './types.js';

const TOP_KEYS = ['$schema', 'description', 'assets', 'accounts'] as const;
const ASSET_KEYS = ['haircut', 'price'] as const;
const ACCOUNT_KEYS = ['account', 'mode', 'numeraire', 'collateral', 'cash', 'positions'] as const;
const POSITION_KEYS = ['instrument', 'quantity', 'price'] as const;

export const HAIRCUT: NumberRule = { text: 'a haircut in [0, 1)', ok: (x) => x >= 0 && x < 1 };
const BALANCE: NumberRule = { text: 'a balance >= 0', ok: NON_NEGATIVE.ok };

/**
 * Parses an account file: NDJSON when `source` ends in .ndjson or .jsonl, else JSON. `market`: the
 * ResolvedMarket (or parseAccountMarket's result, whose `.market` is taken); anything else is an
 * InputError.
 */
export function parseAccounts(text: string, source: string, market: ResolvedMarket | AccountMarket): AccountsFile {
  market = accountsMarket(market, 'parseAccounts: market');
  return /\.(ndjson|jsonl)$/i.test(source) ? parseAccountsNdjson(text, source, market) : resolveAccounts(readJson(text, source), source, market);
}

/** Validates an account file already parsed from JSON (or built in code). */
export function resolveAccounts(json: unknown, source: string, market: ResolvedMarket | AccountMarket): AccountsFile {
  market = accountsMarket(market, 'resolveAccounts: market');
  const root = object(source, '', json, 'a JSON object { "assets": {...}, "accounts": [...] }');
  checkKeys(source, '', root, TOP_KEYS);
  for (const k of ['$schema', 'description'] as const) {
    const v = own(root, k);
    if (v !== undefined && typeof v !== 'string') expected(source, k, 'a string', v);
  }
  const { assets, assetsInput } = resolveAssets(source, 'assets', own(root, 'assets'), market);
  const raw = list(source, 'accounts', own(root, 'accounts'), 'a list of accounts');
  const seen = new Map<string, string>();
  const accounts = raw.map((a, k) => resolveOne(source, indexPath('accounts', k), a, market, assets, seen, indexPath('accounts', k)));
  return { assets, assetsInput, accounts };
}

/** NDJSON: one account a line; an optional first line `{"assets": {...}}`. */
export function parseAccountsNdjson(text: string, source: string, market: ResolvedMarket | AccountMarket): AccountsFile {
  market = accountsMarket(market, 'parseAccountsNdjson: market');
  const lines = text.split(/\r\n|\n|\r/);
  let assets: Map<string, AssetSpec> | undefined, assetsInput = new Map<string, AssetInput>();
  const accounts: AccountEntry[] = [];
  const seen = new Map<string, string>();
  lines.forEach((line, k) => {
    if (k === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') return;
    const where = `${source}: line ${k + 1}`;
    let v: unknown;
    try {
      v = readJson(line, where);
    } catch (e) {
      if (!isInputError(e)) throw e;
      accounts.push({ id: `line ${k + 1}`, error: e.message });
      return;
    }
    if (isObject(v) && own(v, 'assets') !== undefined && own(v, 'account') === undefined) {
      if (assets || accounts.length > 0) fail(where, 'assets', 'the assets line must be the first line of the file');
      checkKeys(where, '', v, ['assets']);
      ({ assets, assetsInput } = resolveAssets(where, 'assets', own(v, 'assets'), market));
      return;
    }
    if (!assets) ({ assets, assetsInput } = resolveAssets(source, 'assets', undefined, market));
    accounts.push(resolveOne(where, '', v, market, assets, seen, `line ${k + 1}`));
  });
  if (!assets) ({ assets, assetsInput } = resolveAssets(source, 'assets', undefined, market));
  return { assets, assetsInput, accounts };
}

function resolveAssets(src: string, path: string, json: unknown, market: ResolvedMarket): {
  assets: Map<string, AssetSpec>; assetsInput: Map<string, AssetInput>;
} {
  const assets = new Map<string, AssetSpec>();
  const assetsInput = new Map<string, AssetInput>();
  const cur = market.currency;
  const und = market.underlyings;
  if (json !== undefined) {
    const o = object(src, path, json, 'a JSON object of assets keyed by id, such as { "USDC": { "price": 1, "haircut": 0.02 } }');
    for (const id of keysOf(o)) {
      const p = fieldPath(path, id);
      if (id === '') expected(src, p, 'a non-empty asset id', id);
      const e = object(src, p, own(o, id), 'a JSON object such as { "haircut": 0.1 }');
      checkKeys(src, p, e, ASSET_KEYS, 'an asset');
      const h = own(e, 'haircut');
      const pr = own(e, 'price');
      const u = und.index.get(id);
      let spec: AssetSpec;
      if (id === cur) {
        if (pr !== undefined) fail(src, fieldPath(p, 'price'), `${id} is the market's currency, priced at 1 by definition: remove price`);
        // Optional: it applies only in accounts measured in another numeraire (NaN: none given).
        spec = { id, kind: 'currency', haircut: h === undefined ? NaN : num(src, fieldPath(p, 'haircut'), h, HAIRCUT), underlying: -1, price: 1 };
      } else if (u !== undefined) {
        if (pr !== undefined) fail(src, fieldPath(p, 'price'), `${id} is an underlying of the market, priced at its spot (and shocked with it): remove price`);
        if (h === undefined) fail(src, fieldPath(p, 'haircut'), `required for ${id}: expected ${HAIRCUT.text}, got nothing`);
        spec = { id, kind: 'underlying', haircut: num(src, fieldPath(p, 'haircut'), h, HAIRCUT), underlying: u, price: NaN };
      } else {
        if (pr === undefined) {
          fail(src, fieldPath(p, 'price'), `required for ${show(id)}, which is neither the market's currency (${cur}) nor one of its `
            + `underlyings (${someIds(und.ids)}): expected its price in ${cur}, a number > 0, got nothing`);
        }
        const price = num(src, fieldPath(p, 'price'), pr, POSITIVE);
        if (h === undefined) fail(src, fieldPath(p, 'haircut'), `required for ${show(id)}: expected ${HAIRCUT.text}, got nothing`);
        spec = { id, kind: 'fixed', haircut: num(src, fieldPath(p, 'haircut'), h, HAIRCUT), underlying: -1, price };
      }
      assets.set(id, spec);
      const input: AssetInput = {};
      if (h !== undefined) input.haircut = spec.haircut;
      if (pr !== undefined) input.price = spec.price;
      assetsInput.set(id, input);
    }
  }
  // The currency and every underlying are assets whether listed or not: an account measured in one
  // of them holds it without a haircut. NaN: no haircut given (needed to hold it in another numeraire).
  if (!assets.has(cur)) assets.set(cur, { id: cur, kind: 'currency', haircut: NaN, underlying: -1, price: 1 });
  und.ids.forEach((id, u) => {
    if (!assets.has(id)) assets.set(id, { id, kind: 'underlying', haircut: NaN, underlying: u, price: NaN });
  });
  return { assets, assetsInput };
}

/**
 * Why asset `id` cannot be held in an account measured in `numeraire` (no price, or no haircut), or
 * undefined when it can. A haircut is for an asset held in another numeraire: the numeraire itself
 * needs only a price (it counts in full, with no risk, in its own account). Without `numeraire`,
 * only the price is checked (is `id` usable as a numeraire).
 */
export function assetProblem(id: string, assets: Map<string, AssetSpec>, market: ResolvedMarket, numeraire?: string): string | undefined {
  const spec = assets.get(id);
  if (spec !== undefined) {
    if (numeraire === undefined || numeraire === id || !Number.isNaN(spec.haircut)) return undefined;
    const why = spec.kind === 'currency'
      ? ` (the currency's haircut, required in an account measured in another numeraire, here ${numeraire})` : '';
    return `asset ${show(id)} has no haircut: give ${fieldPath(fieldPath('assets', id), 'haircut')}, ${HAIRCUT.text}${why}`;
  }
  return `asset ${show(id)} has no price: it is neither the market's currency (${market.currency}) nor one of its underlyings `
    + `(${someIds(market.underlyings.ids)}), and the assets block does not give its price`;
}

function resolveOne(src: string, base: string, json: unknown, market: ResolvedMarket, assets: Map<string, AssetSpec>,
  seen: Map<string, string>, fallbackId: string): AccountEntry {
  const idRaw = isObject(json) ? own(json, 'account') : undefined;
  const label = typeof idRaw === 'string' && idRaw !== '' ? idRaw : fallbackId;
  try {
    const o = object(src, base, json, 'a JSON object (an account) such as { "account": "A1", "collateral": {...}, "positions": [...] }');
    checkKeys(src, base, o, ACCOUNT_KEYS, 'an account');
    const id = nonEmptyString(src, fieldPath(base, 'account'), idRaw);
    const first = seen.get(id);
    if (first !== undefined) fail(src, fieldPath(base, 'account'), `duplicate account id ${show(id)} (first at ${first})`);
    seen.set(id, fallbackId);
    return resolveFields(src, base, o, id, market, assets);
  } catch (e) {
    if (!isInputError(e)) throw e;
    return { id: label, error: e.message };
  }
}

function resolveFields(src: string, base: string, o: JsonObject, id: string, market: ResolvedMarket,
  assets: Map<string, AssetSpec>): ParsedAccount {
  const modeRaw = own(o, 'mode');
  if (modeRaw !== undefined && !(MARGIN_MODES as readonly unknown[]).includes(modeRaw)) {
    expected(src, fieldPath(base, 'mode'), '"isolated", "cross" or "portfolio"', modeRaw);
  }
  const mode = (modeRaw ?? 'cross') as MarginMode;

  const numRaw = own(o, 'numeraire');
  let numeraire = market.currency;
  if (numRaw !== undefined) {
    const np = fieldPath(base, 'numeraire');
    numeraire = nonEmptyString(src, np, numRaw);
    const problem = assetProblem(numeraire, assets, market);
    if (problem !== undefined) fail(src, np, problem);
  }

  const collateral = new Map<string, number>();
  const cRaw = own(o, 'collateral');
  if (cRaw !== undefined) {
    const cp = fieldPath(base, 'collateral');
    const c = object(src, cp, cRaw, 'a JSON object of balances keyed by asset, such as { "USD": 10000, "BTC": 1.5 }');
    for (const a of keysOf(c)) {
      const ap = fieldPath(cp, a);
      if (a === '') expected(src, ap, 'a non-empty asset id', a);
      const problem = assetProblem(a, assets, market, numeraire);
      if (problem !== undefined) fail(src, ap, problem);
      collateral.set(a, num(src, ap, own(c, a), BALANCE) + 0);
    }
  }

  const cashRaw = own(o, 'cash');
  const cash = cashRaw === undefined ? 0 : num(src, fieldPath(base, 'cash'), cashRaw, FINITE) + 0;

  const positions: ParsedAccount['positions'] = [];
  const pRaw = own(o, 'positions');
  if (pRaw !== undefined) {
    const pp = fieldPath(base, 'positions');
    const at = new Map<string, number>();
    list(src, pp, pRaw, 'a list of positions such as { "instrument": "BTC-PERP", "quantity": -2 }').forEach((raw, k) => {
      const ip = indexPath(pp, k);
      const e = object(src, ip, raw, 'a JSON object { "instrument": ..., "quantity": ... }');
      checkKeys(src, ip, e, POSITION_KEYS, 'a position');
      const instrument = nonEmptyString(src, fieldPath(ip, 'instrument'), own(e, 'instrument'));
      const i = market.instruments.index.get(instrument);
      if (i === undefined) fail(src, fieldPath(ip, 'instrument'), `unknown instrument ${show(instrument)}`);
      const before = at.get(instrument);
      if (before !== undefined) {
        fail(src, fieldPath(ip, 'instrument'), `${show(instrument)} is already at ${indexPath(pp, before)}; give one net position per instrument`);
      }
      at.set(instrument, k);
      const quantity = num(src, fieldPath(ip, 'quantity'), own(e, 'quantity'), FINITE) + 0;
      const pr = own(e, 'price');
      const pos: ParsedAccount['positions'][number] = { instrument, quantity };
      if (pr !== undefined) {
        const kind = market.instruments.inputKind[i];
        if (kind !== 'future' && kind !== 'perpetual') {
          fail(src, fieldPath(ip, 'price'), `an entry price applies to futures and perpetuals; ${show(instrument)} is ${kind === 'option' ? 'an option' : 'a spot'}, `
            + 'whose premium is already in the balances: remove price');
        }
        pos.price = num(src, fieldPath(ip, 'price'), pr, POSITIVE);
      }
      positions.push(pos);
    });
  }
  return { id, mode, numeraire, collateral, cash, positions };
}

/** Throws InputError when any account of the file could not be read (the book needs them all). */
export function requireAllAccounts(file: AccountsFile): ParsedAccount[] {
  const out: ParsedAccount[] = [];
  for (const a of file.accounts) {
    if ('error' in a && a.error !== undefined) throw new InputError(a.error);
    out.push(a as ParsedAccount);
  }
  return out;
}

/** `v` when it is an account file as parseAccounts or resolveAccounts give it; else an InputError naming `where`. */
export function checkAccountsFile(v: unknown, where: string): AccountsFile {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { assets?: unknown }).assets instanceof Map && Array.isArray((v as { accounts?: unknown }).accounts)) return v as unknown as AccountsFile;
  throw new InputError(`${where}: expected an account file from parseAccounts or resolveAccounts, got ${show(v)}`, { path: 'accounts' });
}
