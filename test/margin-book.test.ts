// The continuous margin book (src/book): after long random sequences of events its numbers equal
// a from-scratch run of the account layer on its snapshot (the resulting market and positions);
// what-if never changes it; a rejected event leaves it exactly as it was; only the holders of a
// moved underlying are re-margined.
import { describe, expect, it } from 'vitest';
import { resolveAccountMarket, type AccountMarket } from '../src/accounts/market.js';
import { resolveAccounts } from '../src/accounts/parse.js';
import { marginAccounts } from '../src/accounts/margin.js';
import type {
  AccountInput, AccountMargin, AccountMarginOk, AccountsFileInput, AccountStatus, MarginMode,
} from '../src/accounts/types.js';
import type { MarketInput } from '../src/market/types.js';
import { MarginBook } from '../src/book/book.js';
import { parseEvent, parseEventLine, type BookEvent } from '../src/book/events.js';
import { Rng } from './helpers/random.js';

/** Relative tolerance of book vs from-scratch numbers, with a floor of 1e-9 numeraire units (IM of hedged accounts is ~0). */
const REL = 1e-9;

function testMarket(): MarketInput {
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: {
      BTC: { spot: 97000, rate: 0.04, vol: 0.6, group: 'CRYPTO' },
      ETH: { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' },
      SPX: { spot: 6000, rate: 0.04, yield: 0.013, vol: 0.18 },
    },
    instruments: {
      BTC: { kind: 'spot', underlying: 'BTC' },
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-INV': { kind: 'perpetual', underlying: 'BTC', contractSize: 10, settlement: 'inverse' },
      'BTC-26MAR27-INV': { kind: 'future', underlying: 'BTC', expiry: '2027-03-26T08:00:00Z', contractSize: 100, settlement: 'inverse' },
      'BTC-26DEC26': { kind: 'future', underlying: 'BTC', expiry: '2026-12-26T08:00:00Z', price: 97800 },
      'BTC-26DEC26-90000-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 90000, expiry: '2026-12-26T08:00:00Z', vol: 0.58 },
      'BTC-26DEC26-105000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 105000, expiry: '2026-12-26T08:00:00Z', vol: 0.55, settlement: 'inverse' },
      'BTC-4DEC26-97000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 97000, expiry: '2026-12-04T08:00:00Z', vol: 0.5 },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'ETH-26DEC26-3000-P': { kind: 'option', underlying: 'ETH', right: 'put', strike: 3000, expiry: '2026-12-26T08:00:00Z', vol: 0.7 },
      'ETH-26DEC26-3400-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 3400, expiry: '2026-12-26T08:00:00Z', vol: 0.68 },
      'ES-DEC26': { kind: 'future', underlying: 'SPX', expiry: '2026-12-18T21:00:00Z', contractSize: 50 },
      'SPX-18DEC26-5800-P': { kind: 'option', underlying: 'SPX', right: 'put', strike: 5800, expiry: '2026-12-18T21:00:00Z', vol: 0.19, contractSize: 100 },
      'SPX-18DEC26-6200-C': { kind: 'option', underlying: 'SPX', right: 'call', strike: 6200, expiry: '2026-12-18T21:00:00Z', vol: 0.16, contractSize: 100 },
    },
    risk: {
      grid: {
        points: [{ move: -0.16 }, { move: -0.08 }, { move: 0 }, { move: 0.08 }, { move: 0.16 },
          { move: -0.33, cover: 0.3, volMoves: [0.5] }, { move: 0.5, cover: 0.3, volMoves: [0.5] }],
        volMoves: [-0.25, 0, 0.5], volTerm: { refDays: 30, power: 0.3, floorDays: 1 },
        underlyings: { SPX: { moves: [-0.08, -0.04, 0, 0.03, 0.06, -0.16, 0.12] } },
        groups: { CRYPTO: { offset: 0.5 } }, shortOptionMinimum: 2, longOptionMinimum: 0.5, maintenanceRatio: 0.8,
      },
      es: { confidence: 0.975, horizonDays: 2, scenarios: 2000, seed: 7, distribution: 'student-t', degreesOfFreedom: 5,
        correlations: [['BTC', 'ETH', 0.8], ['BTC', 'SPX', 0.3], ['ETH', 'SPX', 0.3]], maintenanceRatio: 0.8 },
    },
  } as unknown as MarketInput;
}

const ASSETS = { USD: { haircut: 0 }, USDC: { price: 1, haircut: 0.02 }, BTC: { haircut: 0.1 }, ETH: { haircut: 0.15 }, SPX: { haircut: 0.2 } };
const INSTRUMENTS = Object.keys(testMarket().instruments);
const COLLATERAL = ['USD', 'USDC', 'BTC', 'ETH', 'SPX'];
const MODES: MarginMode[] = ['isolated', 'cross', 'portfolio'];
const NUMERAIRES = ['USD', 'USD', 'BTC', 'USDC', 'ETH'];
/** Typical quantity scale of each instrument (contracts). */
const LOT: Record<string, number> = {
  BTC: 0.5, 'BTC-PERP': 1, 'BTC-INV': 5000, 'BTC-26MAR27-INV': 500, 'BTC-26DEC26': 1, 'BTC-26DEC26-90000-P': 2, 'BTC-26DEC26-105000-C': 2,
  'BTC-4DEC26-97000-C': 2, 'ETH-PERP': 20, 'ETH-26DEC26-3000-P': 20, 'ETH-26DEC26-3400-C': 20, 'ES-DEC26': 2, 'SPX-18DEC26-5800-P': 1,
  'SPX-18DEC26-6200-C': 1,
};
const COLL_SCALE: Record<string, number> = { USD: 100000, USDC: 100000, BTC: 2, ETH: 30, SPX: 15 };

function randomAccounts(rng: Rng, n: number): AccountsFileInput {
  const accounts: AccountInput[] = [];
  for (let k = 0; k < n; k++) {
    const collateral: Record<string, number> = {};
    for (const a of COLLATERAL) if (rng.next() < 0.5) collateral[a] = Math.round(rng.uniform(0, COLL_SCALE[a]) * 100) / 100;
    const positions: NonNullable<AccountInput['positions']> = [];
    for (const id of INSTRUMENTS) {
      if (rng.next() > 0.35) continue;
      const q = Math.round(rng.uniform(-3, 3) * LOT[id] * 10) / 10 || LOT[id];
      const kind = testMarket().instruments[id].kind;
      const pos: { instrument: string; quantity: number; price?: number } = { instrument: id, quantity: q };
      if ((kind === 'future' || kind === 'perpetual') && rng.next() < 0.6) pos.price = ({ BTC: 97000, ETH: 3100, SPX: 6000 } as Record<string, number>)[testMarket().instruments[id].underlying] * rng.uniform(0.9, 1.1);
      positions.push(pos);
    }
    accounts.push({ account: `A${k}`, mode: rng.pick(MODES), numeraire: rng.pick(NUMERAIRES), collateral, cash: rng.next() < 0.3 ? rng.uniform(-5000, 20000) : 0, positions });
  }
  return { assets: ASSETS, accounts };
}

function build(market: MarketInput, accounts: AccountsFileInput, method: 'grid' | 'es'): { am: AccountMarket; book: MarginBook } {
  const am = resolveAccountMarket(market, 'market.json');
  const book = new MarginBook(am, resolveAccounts(accounts, 'accounts.json', am.market), { method });
  return { am, book };
}

function fromScratch(book: MarginBook, method: 'grid' | 'es'): AccountMargin[] {
  const am = resolveAccountMarket(JSON.parse(JSON.stringify(book.snapshotMarket())), 'snapshot-market.json');
  return marginAccounts(am, resolveAccounts(JSON.parse(JSON.stringify(book.snapshotAccounts())), 'snapshot-accounts.json', am.market), { method });
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b), 1);
}

/** Book numbers vs from-scratch numbers; returns the worst relative difference seen. */
function compare(book: MarginBook, method: 'grid' | 'es', context: string): number {
  const fresh = fromScratch(book, method);
  const live = book.marginAll();
  let worst = 0;
  fresh.forEach((f, k) => {
    if (!f.ok) throw new Error(`${context}: from-scratch error for ${f.account}: ${f.message}`);
    const b = live[k];
    const pairs: [string, number, number][] = [
      ['equity', b.equity, f.equity], ['initial', b.initialMargin, f.initialMargin], ['maintenance', b.maintenanceMargin, f.maintenanceMargin],
      ['cash', b.cash, f.cash], ['upl', b.unrealisedPnl, f.unrealisedPnl], ['options', b.optionValue, f.optionValue],
      ['collateral', b.collateralAfterHaircut, f.collateralAfterHaircut],
    ];
    for (const m of MODES) pairs.push([`${m}.initial`, b.modes[m].initialMargin, f.modes[m].initialMargin]);
    for (const [what, x, y] of pairs) {
      const d = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1);
      worst = Math.max(worst, d);
      expect(close(x, y), `${context}: ${b.account} (${b.mode}, ${b.numeraire}) ${what}: book ${x}, from scratch ${y}`).toBe(true);
    }
    for (const m of MODES) {
      if (b.modes[m].status === f.modes[m].status) continue;
      // Only at a threshold can rounding flip a status.
      const E = f.equity, im = f.modes[m].initialMargin, mm = f.modes[m].maintenanceMargin;
      expect(close(E, im) || close(E, mm) || m === 'isolated', `${context}: ${b.account} ${m} status ${b.modes[m].status} vs ${f.modes[m].status} (E ${E}, IM ${im}, MM ${mm})`).toBe(true);
    }
    expect(b.status).toBe(b.modes[b.mode].status);
    // The book's own status (its fast path) is the status of the full evaluation.
    expect(book.status(b.account), `${context}: ${b.account}`).toBe(b.status);
  });
  return worst;
}

const UNDERLYINGS = ['BTC', 'ETH', 'SPX'];

/** A random event, valid or not; the expected rejection (a fragment of the message) when it must fail. */
function randomEvent(rng: Rng, book: MarginBook, ids: string[], t: { ms: number }): { ev: BookEvent; mustFail?: string } {
  t.ms += rng.int(0, 2000);
  const stamp = new Date(t.ms).toISOString();
  const market = book.engine.market;
  const x = rng.next();
  let raw: Record<string, unknown>;
  let mustFail: string | undefined;
  if (x < 0.22) {
    const u = rng.pick(UNDERLYINGS);
    const S = market.underlyings.spot[market.underlyings.index.get(u)!];
    raw = { type: 'price', underlying: u, spot: S * Math.exp(rng.normal() * 0.02) };
  } else if (x < 0.27) {
    const id = rng.pick(['BTC-PERP', 'BTC-26DEC26', 'BTC-INV', 'BTC-26MAR27-INV', 'ETH-PERP', 'ES-DEC26']);
    raw = { type: 'price', instrument: id, price: market.instruments.refPrice[market.instruments.index.get(id)!] * rng.uniform(0.995, 1.005) };
  } else if (x < 0.32) {
    const id = rng.pick(INSTRUMENTS.filter((i) => testMarket().instruments[i].kind === 'option'));
    raw = { type: 'vol', instrument: id, vol: market.instruments.vol[market.instruments.index.get(id)!] * rng.uniform(0.9, 1.1) };
  } else if (x < 0.35) {
    raw = { type: 'vol', underlying: rng.pick(UNDERLYINGS), shift: rng.uniform(-0.02, 0.02) };
  } else if (x < 0.38) {
    const u = rng.pick(UNDERLYINGS);
    raw = { type: 'vol', underlying: u, vol: market.underlyings.vol[market.underlyings.index.get(u)!] * rng.uniform(0.9, 1.1) };
  } else if (x < 0.7) {
    const id = rng.pick(INSTRUMENTS);
    const acct = rng.pick(ids);
    // Sometimes close the whole position (exercises realisation and row removal).
    const pos = book.snapshotAccounts().accounts.find((a) => a.account === acct)!.positions!.find((p) => p.instrument === id);
    const q = pos && rng.next() < 0.3 ? -pos.quantity : Math.round(rng.uniform(-2, 2) * LOT[id] * 10) / 10 || LOT[id];
    raw = { type: 'trade', account: acct, instrument: id, quantity: q };
    if (rng.next() < 0.5) {
      const kind = testMarket().instruments[id].kind;
      const i = market.instruments.index.get(id)!;
      const u = market.instruments.underlying[i];
      const ref = kind === 'future' || kind === 'perpetual' ? market.instruments.refPrice[i] : kind === 'spot' ? market.underlyings.spot[u] : 100;
      raw.price = ref * rng.uniform(0.98, 1.02);
    }
  } else if (x < 0.85) {
    const acct = rng.pick(ids);
    const asset = rng.pick(COLLATERAL);
    const have = book.snapshotAccounts().accounts.find((a) => a.account === acct)!.collateral![asset] ?? 0;
    const amount = rng.next() < 0.5 ? rng.uniform(0.01, 1) * COLL_SCALE[asset] : -rng.uniform(0, 1.3) * have || -1;
    raw = { type: 'transfer', account: acct, asset, amount };
    if (have + amount < 0) mustFail = 'a balance cannot go below 0';
  } else if (x < 0.95) {
    const acct = rng.pick(ids);
    const n = rng.int(1, 3);
    raw = { type: 'whatif', account: acct, orders: Array.from({ length: n }, () => ({ instrument: rng.pick(INSTRUMENTS), quantity: LOT.BTC })) };
  } else if (x < 0.975) {
    raw = { type: 'trade', account: 'nobody', instrument: 'BTC-PERP', quantity: 1 };
    mustFail = 'is not in the book';
  } else {
    raw = { type: 'price', underlying: 'BTC', spot: 97000, t: new Date(t.ms - 3_600_000).toISOString() };
    mustFail = 'events must come in time order';
    return { ev: parseEvent(raw, 'events'), mustFail };
  }
  raw.t = stamp;
  return { ev: parseEvent(raw, 'events'), mustFail };
}

function state(book: MarginBook): string {
  return JSON.stringify([book.snapshotAccounts(), book.snapshotMarket(), book.marginAll()]);
}

describe('margin book: long random sequences equal a from-scratch run on the resulting positions and prices', () => {
  for (const [method, seed, nAccounts, nEvents] of [['grid', 11, 14, 2500], ['grid', 12, 6, 2500], ['es', 13, 8, 800]] as const) {
    it(`${method}: ${nEvents} random events over ${nAccounts} accounts (seed ${seed}), checked every 250 events within ${REL} relative`, () => {
      const rng = new Rng(seed);
      const { book } = build(testMarket(), randomAccounts(rng, nAccounts), method);
      const ids = book.ids();
      const t = { ms: Date.parse('2026-11-20T00:00:00Z') };
      let applied = 0, rejected = 0, whatifs = 0, changes = 0, worst = 0;
      worst = Math.max(worst, compare(book, method, 'at load'));
      for (let n = 1; n <= nEvents; n++) {
        const { ev, mustFail } = randomEvent(rng, book, ids, t);
        const before = mustFail || ev.type === 'whatif' ? state(book) : '';
        const r = book.apply(ev);
        const where = `seed ${seed} event ${n} ${JSON.stringify(ev)}`;
        if (mustFail) {
          expect(r.ok, where).toBe(false);
          if (!r.ok) expect(r.message, where).toContain(mustFail);
          expect(state(book), `${where}: a rejected event changed the book`).toBe(before);
          rejected++;
          continue;
        }
        expect(r.ok, `${where}: ${r.ok ? '' : r.message}`).toBe(true);
        if (!r.ok) continue;
        applied++;
        changes += r.changes.length;
        if (ev.type === 'whatif') {
          whatifs++;
          expect(state(book), `${where}: a what-if changed the book`).toBe(before);
        }
        for (const c of r.changes) expect(book.status(c.account)).toBe(c.to);
        if (n % 250 === 0) worst = Math.max(worst, compare(book, method, where));
      }
      worst = Math.max(worst, compare(book, method, 'at the end'));
      console.log(`${method} seed ${seed}: ${applied} applied (${whatifs} what-ifs), ${rejected} rejected, ${changes} status changes; `
        + `worst relative difference book vs from scratch ${worst.toExponential(2)}`);
      expect(applied).toBeGreaterThan(nEvents * 0.8);
      expect(changes).toBeGreaterThan(0);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// A small hand-checked book on a market with exact binary moves (+-25 %, +-12.5 %).

function handMarket(): MarketInput {
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: { BTC: { spot: 80000, rate: 0.04, vol: 0.6, group: 'CRYPTO' }, ETH: { spot: 4000, rate: 0.04, vol: 0.75, group: 'CRYPTO' }, SPX: { spot: 6000, vol: 0.18 } },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'SPX-FUT': { kind: 'future', underlying: 'SPX', expiry: '2026-12-18T00:00:00Z', price: 6000 },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 90000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
    },
    risk: { grid: { points: [{ move: -0.25 }, { move: -0.125 }, { move: 0 }, { move: 0.125 }, { move: 0.25 }], groups: { CRYPTO: { offset: 0.5 } }, maintenanceRatio: 0.75 } },
  } as unknown as MarketInput;
}
const handAccounts: AccountsFileInput = {
  assets: { BTC: { haircut: 0.125 } },
  accounts: [
    { account: 'L', mode: 'portfolio', collateral: { USD: 20000 }, positions: [{ instrument: 'BTC-PERP', quantity: 1 }] },
    { account: 'S', mode: 'cross', collateral: { USD: 1000 }, positions: [{ instrument: 'SPX-FUT', quantity: 1 }] },
    { account: 'C', mode: 'portfolio', collateral: { BTC: 1 } },
  ],
};
const ev = (o: Record<string, unknown>) => parseEvent(o, 'events');

describe('margin book: events worked by hand', () => {
  it('a BTC drop puts a long perpetual in margin call, then liquidation; accounts without BTC are not touched', () => {
    const { book } = build(handMarket(), handAccounts, 'grid');
    // S: one SPX future of 6,000 needs 1,500 (25 %) and holds 1,000: in liquidation from the start.
    expect(book.initialStatuses()).toEqual([{ account: 'S', from: null, to: 'liquidation', numeraire: 'USD', equity: 1000, initialMargin: 1500, maintenanceMargin: 1125, excess: -500 }]);
    const spx = JSON.stringify(book.margin('S'));
    // L: long 1 perp, F = 80,000, USD 20,000: IM 20,000 (healthy at equality). At 76,000: equity 16,000,
    // IM 19,000, MM 14,250: margin call. At 72,000: equity 12,000, IM 18,000, MM 13,500: liquidation.
    // C: 1 BTC, haircut 12.5 %: at 76,000 equity 66,500, IM 19,000.
    const r1 = book.apply(ev({ type: 'price', underlying: 'BTC', spot: 76000 }));
    expect(r1).toEqual({ ok: true, changes: [{ account: 'L', from: 'healthy', to: 'margin_call', numeraire: 'USD', equity: 16000, initialMargin: 19000, maintenanceMargin: 14250, excess: -3000 }] });
    expect(book.margin('C').equity).toBe(66500);
    expect(book.margin('C').initialMargin).toBe(19000);
    const r2 = book.apply(ev({ type: 'price', underlying: 'BTC', spot: 72000 }));
    expect(r2).toEqual({ ok: true, changes: [{ account: 'L', from: 'margin_call', to: 'liquidation', numeraire: 'USD', equity: 12000, initialMargin: 18000, maintenanceMargin: 13500, excess: -6000 }] });
    expect(JSON.stringify(book.margin('S'))).toBe(spx);
    // A deposit of 6,000 USD restores it.
    const r3 = book.apply(ev({ type: 'transfer', account: 'L', asset: 'USD', amount: 6000 }));
    expect(r3.ok && r3.changes.map((c) => [c.account, c.from, c.to])).toEqual([['L', 'liquidation', 'healthy']]);
  });

  it('a trade moves cash by its premium or realises P&L; selling the perpetual at 88,000 realises 8,000', () => {
    const { book } = build(handMarket(), handAccounts, 'grid');
    const r = book.apply(ev({ type: 'trade', account: 'L', instrument: 'BTC-PERP', quantity: -1, price: 88000 }));
    expect(r.ok).toBe(true);
    const m = book.margin('L');
    expect(m.cash).toBe(8000);
    expect(m.unrealisedPnl).toBe(0);
    expect(m.initialMargin).toBe(0);
    expect(m.equity).toBe(28000);
    expect(book.snapshotAccounts().accounts[0].positions).toEqual([]);
    // Buying 2 calls at 1,500 pays 3,000 of premium from cash; equity gains their market value.
    const value = book.engine.value[book.engine.eOf[book.engine.market.instruments.index.get('BTC-C')!]];
    book.apply(ev({ type: 'trade', account: 'L', instrument: 'BTC-C', quantity: 2, price: 1500 }));
    const m2 = book.margin('L');
    expect(m2.cash).toBe(5000);
    expect(m2.optionValue).toBeCloseTo(2 * value, 9);
    expect(m2.equity).toBeCloseTo(20000 + 5000 + 2 * value, 9);
  });

  it('an inverse future realises qN (1/e - 1/p) coins at the trade price and is marked at N (1/e - 1/F)', () => {
    // BTC at S = 80,000; an inverse future of N = 10 USD at F = 100,000; long 1,000 entered at e = 80,000
    // (qN = 10,000 USD, Q = 0.125 coins), in a BTC account with 1 BTC of cash and in a USD account.
    const market = handMarket();
    (market.instruments as Record<string, unknown>)['BTC-INVF'] = {
      kind: 'future', underlying: 'BTC', expiry: '2027-03-26T00:00:00Z', price: 100000, contractSize: 10, settlement: 'inverse',
    };
    const position = { instrument: 'BTC-INVF', quantity: 1000, price: 80000 };
    const { book } = build(market, {
      assets: { BTC: { haircut: 0.125 } },
      accounts: [
        { account: 'I', mode: 'portfolio', numeraire: 'BTC', cash: 1, positions: [position] },
        { account: 'J', mode: 'portfolio', positions: [position] },
      ],
    }, 'grid');
    // Selling 250 at p = 96,000 closes a quarter: 0.25 x 10,000 (1/80,000 - 1/96,000) = 0.25 x 1/48 = 1/192 BTC.
    expect(book.apply(ev({ type: 'trade', account: 'I', instrument: 'BTC-INVF', quantity: -250, price: 96000 })).ok).toBe(true);
    let m = book.margin('I');
    expect(m.cash).toBeCloseTo(1 + 1 / 192, 15);
    // 750 left: 7,500 (1/80,000 - 1/100,000) = 0.09375 - 0.075 = 0.01875 BTC.
    expect(m.unrealisedPnl).toBeCloseTo(0.01875, 15);
    // F moves to 120,000: 7,500 (1/80,000 - 1/120,000) = 0.09375 - 0.0625 = 0.03125 BTC; at m = 0.75,
    // 7,500 (1/120,000 - 1/90,000) = -1/48 BTC: the requirement.
    expect(book.apply(ev({ type: 'price', instrument: 'BTC-INVF', price: 120000 })).ok).toBe(true);
    m = book.margin('I');
    expect(m.unrealisedPnl).toBeCloseTo(0.03125, 15);
    expect(m.initialMargin).toBeCloseTo(1 / 48, 15);
    // Selling the other 750 at 96,000: 0.75 x 1/48 = 1/64 BTC; cash 1 + 1/192 + 1/64 = 1 + 1/48.
    expect(book.apply(ev({ type: 'trade', account: 'I', instrument: 'BTC-INVF', quantity: -750, price: 96000 })).ok).toBe(true);
    m = book.margin('I');
    expect(m.cash).toBeCloseTo(1 + 1 / 48, 15);
    expect(m.unrealisedPnl).toBe(0);
    expect(m.initialMargin).toBe(0);
    // The USD account closes all 1,000 at 96,000: 1/48 BTC paid at the spot 80,000 = 1,666.67 USD.
    expect(book.apply(ev({ type: 'trade', account: 'J', instrument: 'BTC-INVF', quantity: -1000, price: 96000 })).ok).toBe(true);
    expect(book.margin('J').cash).toBeCloseTo(80000 / 48, 9);
  });

  it('a what-if answers what the trade would do, and leaves the book exactly as it was', () => {
    const a = build(handMarket(), handAccounts, 'grid').book;
    const b = build(handMarket(), handAccounts, 'grid').book;
    const before = state(a);
    const orders = [{ instrument: 'ETH-PERP', quantity: -20 }, { instrument: 'BTC-C', quantity: -3, price: 2000 }];
    const w = a.whatIf('C', orders);
    expect(state(a)).toBe(before);
    for (const o of orders) b.apply(ev({ type: 'trade', account: 'C', ...o }));
    const m = b.margin('C');
    expect(w.after).toEqual({ status: m.status, equity: m.equity, initialMargin: m.initialMargin, maintenanceMargin: m.maintenanceMargin, excess: m.excess });
    expect(w.before.initialMargin).toBe(a.margin('C').initialMargin);
    expect(w.accepted).toBe(m.status === 'healthy' || m.initialMargin <= w.before.initialMargin);
    // Short ETH against BTC collateral nets in CRYPTO (offset 0.5): the what-if lowers no requirement here, it adds one.
    expect(w.after.initialMargin).toBeGreaterThan(0);
  });

  const rejections: [string, Record<string, unknown>, string][] = [
    ['an event for an unknown account', { type: 'trade', account: 'nobody', instrument: 'BTC-PERP', quantity: 1 },
      'account: "nobody" is not in the book (3 accounts: L, S, C)'],
    ['a transfer for an unknown account', { type: 'transfer', account: 'X', asset: 'USD', amount: 1 },
      'account: "X" is not in the book (3 accounts: L, S, C)'],
    ['a what-if for an unknown account', { type: 'whatif', account: 'X', instrument: 'BTC-PERP', quantity: 1 },
      'account: "X" is not in the book (3 accounts: L, S, C)'],
    ['an unknown instrument', { type: 'trade', account: 'L', instrument: 'BTC-XYZ', quantity: 1 }, 'instrument: unknown instrument "BTC-XYZ"'],
    ['an unknown instrument in a list of orders', { type: 'whatif', account: 'L', orders: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'Q', quantity: 1 }] },
      'orders[1].instrument: unknown instrument "Q"'],
    ['an unknown underlying', { type: 'price', underlying: 'XRP', spot: 1 }, 'underlying: unknown underlying "XRP"; the market\'s underlyings are BTC, ETH, SPX'],
    ['a withdrawal below zero', { type: 'transfer', account: 'C', asset: 'BTC', amount: -2 },
      'amount: -2 would take account "C"\'s BTC balance from 1 to -1; a balance cannot go below 0'],
    ['a transfer of an asset with no price', { type: 'transfer', account: 'C', asset: 'USDT', amount: 5 },
      'asset: asset "USDT" has no price: it is neither the market\'s currency (USD) nor one of its underlyings (BTC, ETH, SPX), and the assets block does not give its price'],
    ['a transfer of an underlying with no haircut', { type: 'transfer', account: 'C', asset: 'ETH', amount: 5 },
      'asset: asset "ETH" has no haircut: give assets.ETH.haircut, a haircut in [0, 1)'],
    ['a trade that would make the book inconsistent (non-finite position)', { type: 'trade', account: 'L', instrument: 'BTC-PERP', quantity: 1e308 },
      'the trade of 1e+308 "BTC-PERP" at 80000 would make account "L"\'s position or cash non-finite'],
    ['a vol shift below zero', { type: 'vol', underlying: 'BTC', shift: -0.6 },
      'shift: -0.6 takes the vol of "BTC-C" from 0.55 to -0.04999999999999993; a vol must stay > 0'],
    ['a price event on an option', { type: 'price', instrument: 'BTC-C', price: 5 },
      'instrument: "BTC-C" is not a future or perpetual; a price event on an instrument sets a future\'s or perpetual\'s mark (options are valued from their underlying and vol)'],
    ['a vol event on a future', { type: 'vol', instrument: 'SPX-FUT', vol: 0.2 }, 'instrument: "SPX-FUT" is not an option; only options have an implied vol'],
  ];
  for (const [name, raw, message] of rejections) {
    it(`rejects ${name}, changing nothing`, () => {
      const { book } = build(handMarket(), handAccounts, 'grid');
      const before = state(book);
      expect(book.apply(ev(raw))).toEqual({ ok: false, code: 'E_INPUT', message });
      expect(state(book)).toBe(before);
    });
  }

  it('a transfer into a coin account: its own coin needs no haircut and counts in full; the currency needs one', () => {
    const { book } = build(handMarket(), { accounts: [{ account: 'B', mode: 'portfolio', numeraire: 'BTC', collateral: { BTC: 1 } }] }, 'grid');
    const before = state(book);
    expect(book.apply(ev({ type: 'transfer', account: 'B', asset: 'USD', amount: 8000 }))).toEqual({
      ok: false, code: 'E_INPUT',
      message: 'asset: asset "USD" has no haircut: give assets.USD.haircut, a haircut in [0, 1) '
        + '(the currency\'s haircut, required in an account measured in another numeraire, here BTC)',
    });
    expect(state(book)).toBe(before);
    expect(book.apply(ev({ type: 'transfer', account: 'B', asset: 'BTC', amount: 0.5 })).ok).toBe(true);
    const m = book.margin('B');
    expect(m.equity).toBe(1.5);
    expect(m.collateralAfterHaircut).toBe(1.5);
    expect(m.initialMargin).toBe(0);
  });

  it('rejects an out-of-order timestamp, changing nothing; equal timestamps are in order', () => {
    const { book } = build(handMarket(), handAccounts, 'grid');
    expect(book.apply(ev({ t: '2026-11-20T01:00:00Z', type: 'price', underlying: 'ETH', spot: 4100 })).ok).toBe(true);
    expect(book.apply(ev({ t: '2026-11-20T01:00:00Z', type: 'price', underlying: 'ETH', spot: 4000 })).ok).toBe(true);
    const before = state(book);
    expect(book.apply(ev({ t: '2026-11-20T00:59:59Z', type: 'price', underlying: 'BTC', spot: 1 }))).toEqual({
      ok: false, code: 'E_INPUT', message: 't: "2026-11-20T00:59:59Z" is before the previous event\'s "2026-11-20T01:00:00Z"; events must come in time order',
    });
    expect(state(book)).toBe(before);
  });

  it('refuses to load an account file with an invalid account', () => {
    const am = resolveAccountMarket(handMarket(), 'm.json');
    const file = resolveAccounts({ assets: { BTC: { haircut: 0 } }, accounts: [{ account: 'A', collateral: { BTC: -1 } }] }, 'accounts.json', am.market);
    expect(() => new MarginBook(am, file)).toThrow('accounts.json: accounts[0].collateral.BTC: expected a balance >= 0, got -1');
  });
});

describe('events: one test per shape error', () => {
  const cases: [string, string, string][] = [
    ['unknown type', '{"type":"tick"}', 'type: expected one of "price", "vol", "trade", "transfer", "whatif", got "tick"'],
    ['not an object', '[1]', 'expected a JSON object (an event) such as {"type":"price","underlying":"BTC","spot":95000}, got [1]'],
    ['invalid JSON', '{"type":', 'invalid JSON at line 1, column 9: expected a JSON value, got the end of the text'],
    ['bad time', '{"t":"yesterday","type":"price","underlying":"BTC","spot":1}', 't: expected an ISO-8601 UTC date-time such as "2026-12-26T08:00:00Z", got "yesterday"'],
    ['negative spot', '{"type":"price","underlying":"BTC","spot":-5}', 'spot: expected a number > 0, got -5'],
    ['zero quantity', '{"type":"trade","account":"A","instrument":"X","quantity":0}', 'quantity: expected a non-zero number, got 0'],
    ['unknown field', '{"type":"trade","account":"A","instrument":"X","qty":1}', 'qty: unknown field for a trade (expected one of: t, type, account, instrument, quantity, price)'],
    ['missing account', '{"type":"transfer","asset":"USD","amount":1}', 'account: expected a non-empty string, got nothing'],
    ['vol and shift', '{"type":"vol","underlying":"BTC","vol":0.5,"shift":0.1}', 'a vol event on an underlying gives "vol" (its annualised vol) or "shift" (added to every option\'s vol), not both'],
    ['neither vol nor shift', '{"type":"vol","underlying":"BTC"}', 'a vol event on an underlying gives "vol" (its annualised vol) or "shift" (added to every option\'s vol), not neither'],
    ['empty orders', '{"type":"whatif","account":"A","orders":[]}', 'orders: expected a non-empty list of orders, got []'],
  ];
  for (const [name, line, message] of cases) {
    it(name, () => {
      let err: unknown;
      try { parseEventLine(line, 'events.ndjson: line 3'); } catch (e) { err = e; }
      expect((err as Error).message).toBe(`events.ndjson: line 3: ${message}`);
    });
  }
});
