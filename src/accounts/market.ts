/**
 * The market as the account layer reads it: the snapshot of contract section 2, plus the one
 * thing v1 rejects and coin-margined accounts need, `settlement: "inverse"` on futures,
 * perpetuals and options (contract section 2, "Coin-margined (inverse) accounts").
 *
 * - An inverse future or perpetual's `contractSize` is its notional N in the currency (Deribit's
 *   BTC-PERPETUAL: 10 USD), its P&L paid in its coin: a position holds Q = sum of quantity x N /
 *   trade price coins at a cost of C = quantity x N, and is worth Q - C/F coins at its price F (one
 *   contract: N (1/e - 1/F)), S (Q - C/F) in the currency (account.ts, engine.ts).
 * - An inverse (coin-settled) option is worth the same as a linear one: nothing changes but the
 *   asset its premium is paid in, which is the account's numeraire anyway.
 *
 * Every other field is validated by the market loader, with its messages.
 */
import { resolveMarket } from '../market/load.js';
import type { MarketInput, ResolvedMarket } from '../market/types.js';
import { isObject, keysOf, own, readJson } from '../market/validate.js';
import { checkMarket, checkTextArgs } from '../options.js';

export interface AccountMarket {
  market: ResolvedMarket;
  /** inverse[i] = 1 when instrument i (market index) settles in its coin. */
  inverse: Uint8Array;
  /** The snapshot as written (for snapshots of a book); undefined when built from a resolved market. */
  input?: MarketInput;
}

const SETTLED_KINDS = ['future', 'perpetual', 'option'];

/** Validates and resolves a market snapshot that may hold inverse instruments. */
export function resolveAccountMarket(json: unknown, source = 'market'): AccountMarket {
  const inverseIds: string[] = [];
  let stripped = json;
  if (isObject(json) && isObject(own(json, 'instruments'))) {
    const ins = own(json, 'instruments') as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const id of keysOf(ins)) {
      const e = own(ins, id);
      if (!isObject(e) || own(e, 'settlement') !== 'inverse' || !SETTLED_KINDS.includes(own(e, 'kind') as string)) continue;
      inverseIds.push(id);
      if (!copy) {
        copy = {};
        for (const k of keysOf(ins)) Object.defineProperty(copy, k, { value: own(ins, k), enumerable: true, writable: true, configurable: true });
      }
      const c: Record<string, unknown> = {};
      for (const k of keysOf(e)) if (k !== 'settlement') c[k] = own(e, k);
      copy[id] = c;
    }
    if (copy) stripped = { ...json, instruments: copy };
  }
  const market = resolveMarket(stripped, source);
  const inverse = new Uint8Array(market.instruments.ids.length);
  for (const id of inverseIds) inverse[market.instruments.index.get(id)!] = 1;
  return { market, inverse, input: isObject(json) ? json as unknown as MarketInput : undefined };
}

/** Parses a market snapshot from JSON text, inverse instruments allowed. */
export function parseAccountMarket(text: string, source = 'market'): AccountMarket {
  checkTextArgs(text, source, 'parseAccountMarket', 'the market\'s JSON text (for a parsed value: resolveAccountMarket)');
  return resolveAccountMarket(readJson(text, source), source);
}

/** Wraps a market resolved by the v1 loader (no inverse instruments). */
export function linearMarket(market: ResolvedMarket): AccountMarket {
  checkMarket(market, 'linearMarket');
  return { market, inverse: new Uint8Array(market.instruments.ids.length) };
}

/** A deep copy of a resolved market, so the book can move spots and vols without touching the caller's. */
export function cloneMarket(m: ResolvedMarket): ResolvedMarket {
  const u = m.underlyings, i = m.instruments;
  return {
    asOf: m.asOf, asOfMs: m.asOfMs, currency: m.currency, source: m.source,
    underlyings: {
      ids: u.ids.slice(), index: new Map(u.index), spot: u.spot.slice(), rate: u.rate.slice(), yield: u.yield.slice(),
      vol: u.vol.slice(), group: u.group.slice(),
    },
    groups: { ids: m.groups.ids.slice(), index: new Map(m.groups.index) },
    instruments: {
      ids: i.ids.slice(), index: new Map(i.index), kind: i.kind.slice(), inputKind: i.inputKind.slice(),
      underlying: i.underlying.slice(), contractSize: i.contractSize.slice(), strike: i.strike.slice(), T: i.T.slice(),
      vol: i.vol.slice(), refPrice: i.refPrice.slice(),
    },
    table: m.table.slice(),
    risk: m.risk,
  };
}

/**
 * The snapshot `input` with the current spots, underlying vols, option vols and future prices of
 * `market` written in (a future or perpetual always gets an explicit `price`). Resolving it gives
 * the market the book has moved to.
 */
export function marketSnapshot(input: MarketInput, market: ResolvedMarket): MarketInput {
  const out = JSON.parse(JSON.stringify(input)) as MarketInput;
  const und = market.underlyings, ins = market.instruments;
  und.ids.forEach((id, u) => {
    const e = out.underlyings[id];
    e.spot = und.spot[u];
    if (Number.isFinite(und.vol[u])) e.vol = und.vol[u];
  });
  ins.ids.forEach((id, i) => {
    const e = out.instruments[id];
    if (e.kind === 'option') e.vol = ins.vol[i];
    else if (e.kind === 'future' || e.kind === 'perpetual') e.price = ins.refPrice[i];
  });
  return out;
}
