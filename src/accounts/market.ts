/**
 * The market as the account layer reads it: the snapshot of docs/methods.md §2, resolved by the
 * market loader, with one rule for `settlement: "inverse"` (docs/methods.md §13.1, "The market of the
 * account layer"): the loader accepts it on futures, perpetuals and options (a spot with it
 * is the loader's error) and marks those instruments in `instruments.inverse`; the account layer
 * takes that marking as it is.
 *
 * - An inverse future or perpetual's `contractSize` is its notional N in the currency (Deribit's
 *   BTC-PERPETUAL: 10 USD), its P&L paid in its coin: a position holds Q = sum of quantity x N /
 *   trade price coins at a cost of C = quantity x N, and is worth Q - C/F coins at its price F (one
 *   contract: N (1/e - 1/F)), S (Q - C/F) in the currency (state.ts, engine.ts).
 * - An inverse (coin-settled) option is worth the same as a linear one: nothing changes but the
 *   asset its premium is paid in, which is the account's numeraire anyway.
 *
 * Every other field is validated by the market loader, with its messages.
 */
import { resolveMarket } from '../market/load.js';
import type { AccountMarket, MarketInput, ResolvedMarket } from '../market/types.js';
import { isObject, keysOf, own, readJson } from '../market/validate.js';
import { checkMarket, checkTextArgs } from '../options.js';

export type { AccountMarket } from '../market/types.js';

/** The loader's marking of inverse instruments of `market`, as an AccountMarket's `inverse` (a copy; all 0 when none). */
function inverseMarking(market: ResolvedMarket): Uint8Array {
  return market.instruments.inverse?.slice() ?? new Uint8Array(market.instruments.ids.length);
}

/** Validates and resolves a market snapshot that may hold inverse instruments (the market loader's rules and messages). */
export function resolveAccountMarket(json: unknown, source = 'market'): AccountMarket {
  const market = resolveMarket(json, source);
  return { market, inverse: inverseMarking(market), input: isObject(json) ? json as unknown as MarketInput : undefined };
}

/** Parses a market snapshot from JSON text, inverse instruments allowed. */
export function parseAccountMarket(text: string, source = 'market'): AccountMarket {
  checkTextArgs(text, source, 'parseAccountMarket', 'the market\'s JSON text (for a parsed value: resolveAccountMarket)');
  return resolveAccountMarket(readJson(text, source), source);
}

/**
 * Wraps a market resolved by the market loader (parseMarket, resolveMarket): its inverse
 * instruments are those the loader marked (none for an all-linear snapshot).
 */
export function linearMarket(market: ResolvedMarket): AccountMarket {
  checkMarket(market, 'linearMarket');
  return { market, inverse: inverseMarking(market) };
}

/** A copy of one table of a resolved market: every array and map copied, so nothing is shared. */
function copyTable<T extends object>(t: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) {
    out[k] = ArrayBuffer.isView(v) ? (v as Float64Array).slice() : Array.isArray(v) ? v.slice() : v instanceof Map ? new Map(v) : v;
  }
  return out as T;
}

/**
 * A deep copy of a resolved market, so the book can move spots and vols without touching the
 * caller's. Field by field over whatever the market carries (vol of vol, surfaces, which vols came
 * from a surface), so a field added to the market is never silently left behind.
 */
export function cloneMarket(m: ResolvedMarket): ResolvedMarket {
  return {
    ...m,
    underlyings: copyTable(m.underlyings),
    groups: copyTable(m.groups),
    instruments: copyTable(m.instruments),
    table: m.table.slice(),
  };
}

/**
 * The snapshot `input` with the current spots, underlying vols, option vols and future prices of
 * `market` written in (a future or perpetual always gets an explicit `price`). Resolving it gives
 * the market the book has moved to. With `stickyMoneyness` (the book's scenarios are
 * sticky-moneyness, whose ticks re-read surface-priced vols) an option still priced off its
 * underlying's surface is written without a vol, so that the snapshot re-reads it too.
 */
export function marketSnapshot(input: MarketInput, market: ResolvedMarket, stickyMoneyness = false): MarketInput {
  const out = JSON.parse(JSON.stringify(input)) as MarketInput;
  const und = market.underlyings, ins = market.instruments;
  und.ids.forEach((id, u) => {
    const e = out.underlyings[id];
    e.spot = und.spot[u];
    if (Number.isFinite(und.vol[u])) e.vol = und.vol[u];
  });
  ins.ids.forEach((id, i) => {
    const e = out.instruments[id];
    // Sticky moneyness: an option still priced off its surface stays so (a snapshot at the new spot re-reads it).
    if (e.kind === 'option') {
      if (stickyMoneyness && ins.volFromSurface?.[i] === 1) delete e.vol;
      else e.vol = ins.vol[i];
    }
    else if (e.kind === 'future' || e.kind === 'perpetual') e.price = ins.refPrice[i];
  });
  return out;
}
