/**
 * Events of the continuous margin book, one JSON object a line (docs/accounts.md, "Events"):
 *
 *   {"t":"2026-11-20T00:00:01Z","type":"price","underlying":"BTC","spot":95000}
 *   {"type":"price","instrument":"BTC-26MAR27","price":98000}          (a future's mark)
 *   {"type":"vol","instrument":"BTC-25DEC26-100000-C","vol":0.52}      (an option's implied vol)
 *   {"type":"vol","underlying":"BTC","shift":0.02}                     (every option on BTC)
 *   {"type":"vol","underlying":"BTC","vol":0.6}                        (the underlying's vol: ES scenarios)
 *   {"type":"trade","account":"A1","instrument":"BTC-PERP","quantity":-1,"price":97000}
 *   {"type":"transfer","account":"A1","asset":"USDC","amount":-5000}
 *   {"type":"whatif","account":"A1","instrument":"BTC-PERP","quantity":-1}
 *   {"type":"whatif","account":"A1","orders":[{"instrument":"BTC-PERP","quantity":-1}, ...]}
 *
 * `t` is optional; when present it is an ISO-8601 UTC date-time and may not go back in time.
 * This module checks shapes only; whether an account, instrument or asset exists is the book's
 * question. Errors are InputErrors `<where>: <field>: expected <what>, got <value>`.
 */
import { show } from '../errors.js';
import { checkTextArgs } from '../options.js';
import {
  checkKeys, expected, fail, FINITE, fieldPath, indexPath, list, nonEmptyString, num, object, own, POSITIVE, readJson,
  utc, type JsonObject, type NumberRule,
} from '../market/validate.js';

export interface Order {
  instrument: string;
  /** Signed contracts, non-zero. */
  quantity: number;
  /** Per unit of underlying, in the currency; default the current mark. */
  price?: number;
}

interface Stamp {
  /** The event's time as written, and in ms since the epoch. */
  t?: string;
  tMs?: number;
}

export type BookEvent = Stamp & (
  | { type: 'price'; underlying: string; spot: number }
  | { type: 'price'; instrument: string; price: number }
  | { type: 'vol'; underlying: string; vol: number }
  | { type: 'vol'; underlying: string; shift: number }
  | { type: 'vol'; instrument: string; vol: number }
  | { type: 'trade'; account: string; instrument: string; quantity: number; price?: number }
  | { type: 'transfer'; account: string; asset: string; amount: number }
  | { type: 'whatif'; account: string; orders: Order[] }
);

export const EVENT_TYPES = ['price', 'vol', 'trade', 'transfer', 'whatif'] as const;
const NON_ZERO: NumberRule = { text: 'a non-zero number', ok: (x) => x !== 0 };

/** Parses one event line. */
export function parseEventLine(line: string, where: string): BookEvent {
  checkTextArgs(line, where, 'parseEventLine', 'an event line (JSON text)');
  return parseEvent(readJson(line, where), where);
}

/** Validates an event's shape. */
export function parseEvent(json: unknown, where: string): BookEvent {
  const o = object(where, '', json, 'a JSON object (an event) such as {"type":"price","underlying":"BTC","spot":95000}');
  const type = own(o, 'type');
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    expected(where, 'type', `one of ${EVENT_TYPES.map((x) => JSON.stringify(x)).join(', ')}`, type);
  }
  const stamp: Stamp = {};
  const tRaw = own(o, 't');
  if (tRaw !== undefined) { stamp.tMs = utc(where, 't', tRaw); stamp.t = tRaw as string; }
  const str = (k: string) => nonEmptyString(where, k, own(o, k));
  switch (type) {
    case 'price': {
      if (own(o, 'instrument') !== undefined) {
        checkKeys(where, '', o, ['t', 'type', 'instrument', 'price'], 'a price event on an instrument');
        return { ...stamp, type, instrument: str('instrument'), price: num(where, 'price', own(o, 'price'), POSITIVE) };
      }
      checkKeys(where, '', o, ['t', 'type', 'underlying', 'spot'], 'a price event');
      return { ...stamp, type, underlying: str('underlying'), spot: num(where, 'spot', own(o, 'spot'), POSITIVE) };
    }
    case 'vol': {
      if (own(o, 'instrument') !== undefined) {
        checkKeys(where, '', o, ['t', 'type', 'instrument', 'vol'], 'a vol event on an instrument');
        return { ...stamp, type, instrument: str('instrument'), vol: num(where, 'vol', own(o, 'vol'), POSITIVE) };
      }
      checkKeys(where, '', o, ['t', 'type', 'underlying', 'vol', 'shift'], 'a vol event');
      const underlying = str('underlying');
      const vol = own(o, 'vol'), shift = own(o, 'shift');
      if ((vol === undefined) === (shift === undefined)) {
        fail(where, '', `a vol event on an underlying gives "vol" (its annualised vol) or "shift" (added to every option's vol), not ${vol === undefined ? 'neither' : 'both'}`);
      }
      if (vol !== undefined) return { ...stamp, type, underlying, vol: num(where, 'vol', vol, POSITIVE) };
      return { ...stamp, type, underlying, shift: num(where, 'shift', shift, FINITE) };
    }
    case 'trade': {
      checkKeys(where, '', o, ['t', 'type', 'account', 'instrument', 'quantity', 'price'], 'a trade');
      const ev: BookEvent = { ...stamp, type, account: str('account'), instrument: str('instrument'), quantity: num(where, 'quantity', own(o, 'quantity'), NON_ZERO) };
      const p = own(o, 'price');
      if (p !== undefined) ev.price = num(where, 'price', p, POSITIVE);
      return ev;
    }
    case 'transfer':
      checkKeys(where, '', o, ['t', 'type', 'account', 'asset', 'amount'], 'a transfer');
      return { ...stamp, type, account: str('account'), asset: str('asset'), amount: num(where, 'amount', own(o, 'amount'), NON_ZERO) };
    case 'whatif': {
      if (own(o, 'orders') !== undefined) {
        checkKeys(where, '', o, ['t', 'type', 'account', 'orders'], 'a what-if with a list of orders');
        const orders = list(where, 'orders', own(o, 'orders'), 'a non-empty list of orders such as {"instrument":"BTC-PERP","quantity":-1}');
        if (orders.length === 0) expected(where, 'orders', 'a non-empty list of orders', orders);
        return { ...stamp, type, account: str('account'), orders: orders.map((x, k) => order(where, indexPath('orders', k), x)) };
      }
      checkKeys(where, '', o, ['t', 'type', 'account', 'instrument', 'quantity', 'price'], 'a what-if');
      return { ...stamp, type, account: str('account'), orders: [order(where, '', o, true)] };
    }
  }
  return fail(where, 'type', `unhandled event type ${show(type)}`);
}

/** Validates one order (also book.whatIf's). */
export function order(where: string, path: string, json: unknown, inline = false): Order {
  const o: JsonObject = object(where, path, json, 'an order such as {"instrument":"BTC-PERP","quantity":-1}');
  if (!inline) checkKeys(where, path, o, ['instrument', 'quantity', 'price'], 'an order');
  const out: Order = {
    instrument: nonEmptyString(where, fieldPath(path, 'instrument'), own(o, 'instrument')),
    quantity: num(where, fieldPath(path, 'quantity'), own(o, 'quantity'), NON_ZERO),
  };
  const p = own(o, 'price');
  if (p !== undefined) out.price = num(where, fieldPath(path, 'price'), p, POSITIVE);
  return out;
}
