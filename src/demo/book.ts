/**
 * A deterministic, realistic book of portfolios over a market snapshot, for demos and benchmarks.
 *
 * About 98 % of the portfolios are retail-like: 1 to 10 positions built from one to three common
 * strategies (a perpetual or future, a naked or covered option, spreads, straddles and strangles,
 * calendars, collars, iron condors, protective puts, basis trades, delta-hedged short straddles).
 * The rest are market makers: 50 to 200 option positions across one to three underlyings' chains,
 * concentrated near the money, delta-hedged with perpetuals or futures. Quantities are signed
 * contract counts: whole contracts when the contract size is above 1 (index and stock options,
 * index futures), otherwise lots of a size that suits the price (0.1 BTC, 1 ETH, 10 SOL, 10 shares).
 *
 * Output is CSV (docs/methods.md §4): header `portfolio,instrument,quantity`, the rows of one
 * portfolio contiguous, no instrument twice in a portfolio, ids P00001, P00002, ... The same
 * market, count and seed give the same text.
 */
import { writeFileSync } from 'node:fs';
import type { InstrumentInput, MarketInput } from '../market/types.js';
import { surfaceVol, validateSurface, type ResolvedSurface } from '../surface/surface.js';
import { DemoRandom } from './random.js';

export const DEFAULT_BOOK_PORTFOLIOS = 10_000;
export const DEFAULT_BOOK_SEED = 1;

export interface BookOptions {
  /** Number of portfolios (default 10,000). */
  portfolios?: number;
  /** Seed of the generator (default 1). */
  seed?: number;
}

const YEAR_MS = 365 * 86400 * 1000;
/** Share of market-maker portfolios. */
const MARKET_MAKER_SHARE = 0.02;
/** Retail: median notional of a strategy in currency units, and its log-spread across accounts. */
const RETAIL_NOTIONAL = 25_000;
const RETAIL_SPREAD = 1.0;
/** Market makers: median notional of one option line. */
const MM_NOTIONAL = 300_000;
const MM_SPREAD = 0.8;

interface Tradable {
  id: string;
  /** Contract size. */
  cs: number;
  /** Quantity increment: 1 for contracts larger than one unit, else a lot that suits the price. */
  step: number;
  /** dValue/dS of one contract. */
  delta: number;
}

interface OptionLine extends Tradable {
  strike: number;
  call: boolean;
}

interface Chain {
  T: number;
  /** Ascending strikes that list both a call and a put. */
  strikes: number[];
  calls: Map<number, OptionLine>;
  puts: Map<number, OptionLine>;
  /** Index in strikes of the strike nearest the forward. */
  atm: number;
}

interface Underlying {
  id: string;
  spot: number;
  /** Weight when picking an underlying for a strategy. */
  weight: number;
  spots: Tradable[];
  perps: Tradable[];
  /** Futures by ascending expiry. */
  futures: Tradable[];
  /** Option chains by ascending expiry, expired options left out. */
  chains: Chain[];
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; absolute error below 1e-7, enough to size hedges). */
function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function lotStep(cs: number, spot: number): number {
  if (cs > 1) return 1;
  // 10^k as the decimal literal "1e<k>", which the language rounds exactly, rather than Math.pow,
  // whose last bit depends on the Node version (10^-4 is 9.999999999999999e-5 on Node 20).
  const k = Math.min(2, Math.max(-4, Math.floor(Math.log10(10_000 / (cs * spot)))));
  return Number(`1e${k}`);
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function finitePositive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

/** Sorts the market's instruments by underlying and kind; skips what the generator cannot use. */
function indexMarket(market: MarketInput): Underlying[] {
  const asOfMs = Date.parse(market.asOf);
  const byId = new Map<string, Underlying>();
  const rawChains = new Map<string, Map<number, { T: number; calls: Map<number, OptionLine>; puts: Map<number, OptionLine> }>>();
  const futureT = new Map<Tradable, number>();
  // An option without a vol takes its underlying's surface vol (docs/surfaces.md); an unusable surface gives none.
  const surfaces = new Map<string, ResolvedSurface>();
  for (const [id, u] of Object.entries(market.underlyings ?? {})) {
    if (!u || !finitePositive(u.spot)) continue;
    byId.set(id, { id, spot: u.spot, weight: 0, spots: [], perps: [], futures: [], chains: [] });
    rawChains.set(id, new Map());
    if (u.surface !== undefined) {
      try { surfaces.set(id, validateSurface(u.surface, id, market.asOf)); } catch { /* options on it need their own vol */ }
    }
  }
  for (const [id, inst] of Object.entries(market.instruments ?? {}) as [string, InstrumentInput][]) {
    const u = inst && byId.get(inst.underlying);
    if (!u) continue;
    const und = market.underlyings[u.id];
    const r = und.rate ?? 0, q = und.yield ?? 0;
    const cs = inst.contractSize ?? 1;
    if (!finitePositive(cs)) continue;
    const step = lotStep(cs, u.spot);
    const T = inst.expiry !== undefined ? (Date.parse(inst.expiry) - asOfMs) / YEAR_MS : NaN;
    if (inst.kind === 'spot') {
      u.spots.push({ id, cs, step, delta: cs });
    } else if (inst.kind === 'perpetual') {
      const F = finitePositive(inst.price) ? inst.price : u.spot;
      u.perps.push({ id, cs, step, delta: (cs * F) / u.spot });
    } else if (inst.kind === 'future') {
      if (!(T > 0)) continue;
      const F = finitePositive(inst.price) ? inst.price : u.spot * Math.exp((r - q) * T);
      const f = { id, cs, step, delta: (cs * F) / u.spot };
      u.futures.push(f);
      futureT.set(f, T);
    } else if (inst.kind === 'option') {
      if (!(T > 0) || !finitePositive(inst.strike)) continue;
      if (inst.right !== 'call' && inst.right !== 'put') continue;
      const F = u.spot * Math.exp((r - q) * T);
      const surface = surfaces.get(u.id);
      const vol = inst.vol ?? (surface ? surfaceVol(surface, inst.strike, T, F) : NaN);
      if (!finitePositive(vol)) continue;
      const sd = vol * Math.sqrt(T);
      const d1 = (Math.log(F / inst.strike) + 0.5 * sd * sd) / sd;
      const call = inst.right === 'call';
      const delta = cs * Math.exp(-q * T) * (call ? normCdf(d1) : normCdf(d1) - 1);
      const line: OptionLine = { id, cs, step, delta, strike: inst.strike, call };
      const chains = rawChains.get(u.id)!;
      // Options of one expiry form a chain; expiries a minute apart are the same expiry.
      const key = Math.round(T * 525_600);
      let chain = chains.get(key);
      if (!chain) chains.set(key, (chain = { T, calls: new Map(), puts: new Map() }));
      (call ? chain.calls : chain.puts).set(inst.strike, line);
    }
  }
  const out: Underlying[] = [];
  for (const u of byId.values()) {
    u.futures.sort((a, b) => futureT.get(a)! - futureT.get(b)!);
    const und = market.underlyings[u.id];
    for (const c of [...rawChains.get(u.id)!.values()].sort((a, b) => a.T - b.T)) {
      const strikes = [...c.calls.keys()].filter((k) => c.puts.has(k)).sort((a, b) => a - b);
      if (strikes.length === 0) continue;
      const F = u.spot * Math.exp(((und.rate ?? 0) - (und.yield ?? 0)) * c.T);
      let atm = 0;
      for (let i = 1; i < strikes.length; i++) if (Math.abs(strikes[i] - F) < Math.abs(strikes[atm] - F)) atm = i;
      u.chains.push({ T: c.T, strikes, calls: c.calls, puts: c.puts, atm });
    }
    const count = u.spots.length + u.perps.length + u.futures.length + u.chains.reduce((n, c) => n + 2 * c.strikes.length, 0);
    if (count === 0) continue;
    u.weight = Math.sqrt(count);
    out.push(u);
  }
  return out;
}

/** Positions of one portfolio: insertion-ordered, merged by instrument. */
class Positions {
  readonly lines = new Map<string, { q: number; step: number }>();

  add(t: Tradable, contracts: number): void {
    const prev = this.lines.get(t.id);
    if (prev) prev.q += contracts;
    else this.lines.set(t.id, { q: contracts, step: t.step });
  }

  /** Drops lines that netted to nothing; returns how many are left. */
  compact(): number {
    for (const [id, l] of this.lines) if (Math.abs(l.q) < l.step / 2) this.lines.delete(id);
    return this.lines.size;
  }
}

class BookBuilder {
  private readonly rng: DemoRandom;
  private readonly unds: Underlying[];
  private readonly withOptions: Underlying[];
  private readonly weights: number[];
  private readonly optionWeights: number[];

  constructor(unds: Underlying[], seed: number) {
    this.rng = new DemoRandom(seed);
    this.unds = unds;
    this.withOptions = unds.filter((u) => u.chains.length > 0);
    this.weights = unds.map((u) => u.weight);
    this.optionWeights = this.withOptions.map((u) => u.weight);
  }

  /** Contracts of t for an exposure of `units` of the underlying, rounded to t's lot, at least one lot. */
  private contracts(t: Tradable, units: number): number {
    const lots = Math.max(1, Math.round(units / t.cs / t.step));
    return lots * t.step;
  }

  /** The linear instrument a trader would use: perpetual, else nearest future, else spot. */
  private linear(u: Underlying): Tradable | undefined {
    return u.perps[0] ?? u.futures[0] ?? u.spots[0];
  }

  private chain(u: Underlying, near = false): Chain {
    const cs = u.chains;
    if (near) return cs[Math.min(cs.length - 1, this.rng.int(0, 1))];
    // Shorter expiries trade more.
    return cs[this.rng.weighted(cs.map((_, i) => 1 / (1 + i)))];
  }

  /** Strike index `away` steps out of the money on the call side (away > 0) or put side (away < 0). */
  private strikeIndex(c: Chain, away: number): number {
    return Math.max(0, Math.min(c.strikes.length - 1, c.atm + away));
  }

  private option(c: Chain, index: number, call: boolean): OptionLine {
    const k = c.strikes[index];
    return (call ? c.calls : c.puts).get(k)!;
  }

  private hedge(p: Positions, u: Underlying, legs: [Tradable, number][]): void {
    const h = u.perps[0] ?? u.futures[0];
    if (!h) return;
    let delta = 0;
    for (const [t, q] of legs) delta += t.delta * q;
    const q = Math.round(-delta / h.delta / h.step) * h.step;
    if (q !== 0) p.add(h, q);
  }

  /** A long option a few strikes out of the money. */
  private naked(u: Underlying, units: number): [Tradable, number][] {
    const c = this.chain(u);
    const call = this.rng.chance(0.55);
    const o = this.option(c, this.strikeIndex(c, (call ? 1 : -1) * this.rng.int(0, 3)), call);
    return [[o, this.contracts(o, units)]];
  }

  /** One retail strategy on underlying u with exposure `units`; returns its legs. */
  private strategy(u: Underlying, units: number): [Tradable, number][] {
    const rng = this.rng;
    const lin = this.linear(u);
    const names = ['linear', 'spot', 'longOption', 'shortPut', 'coveredCall', 'vertical', 'straddle', 'calendar',
      'protectivePut', 'hedgedStraddle', 'basis', 'ironCondor', 'collar'] as const;
    const w = [22, 6, 14, 7, 7, 10, 8, 4, 5, 5, 5, 4, 3];
    let name: (typeof names)[number] = names[rng.weighted(w)];
    const optionOnly = new Set(['longOption', 'shortPut', 'vertical', 'straddle', 'calendar', 'hedgedStraddle', 'ironCondor']);
    if (u.chains.length === 0 && name !== 'spot' && name !== 'basis') name = 'linear';
    if (name === 'spot' && u.spots.length === 0) name = 'linear';
    if (name === 'basis' && (u.futures.length === 0 || (u.perps.length === 0 && u.spots.length === 0))) name = 'linear';
    // An underlying with options but nothing linear: option-only strategies.
    if (!lin && !optionOnly.has(name)) name = 'longOption';
    switch (name) {
      case 'linear': {
        const t = u.perps.length && rng.chance(0.7) ? u.perps[0] : rng.pick([...u.futures, ...u.perps, ...u.spots]);
        const sign = u.spots.includes(t) ? 1 : rng.sign(0.6);
        return [[t, sign * this.contracts(t, units)]];
      }
      case 'spot': {
        const t = u.spots[0];
        return [[t, this.contracts(t, units)]];
      }
      case 'longOption':
        return this.naked(u, units);
      case 'shortPut': {
        const c = this.chain(u, true);
        const o = this.option(c, this.strikeIndex(c, -rng.int(1, 3)), false);
        return [[o, -this.contracts(o, units)]];
      }
      case 'coveredCall': {
        const c = this.chain(u, true);
        const base = u.spots.length && rng.chance(0.5) ? u.spots[0] : lin!;
        const qb = this.contracts(base, units);
        const o = this.option(c, this.strikeIndex(c, rng.int(1, 3)), true);
        return [[base, qb], [o, -this.contracts(o, qb * base.cs)]];
      }
      case 'protectivePut': {
        const c = this.chain(u);
        const base = u.spots.length ? u.spots[0] : lin!;
        const qb = this.contracts(base, units);
        const o = this.option(c, this.strikeIndex(c, -rng.int(1, 3)), false);
        return [[base, qb], [o, this.contracts(o, qb * base.cs)]];
      }
      case 'collar': {
        const c = this.chain(u);
        const base = u.spots.length ? u.spots[0] : lin!;
        const qb = this.contracts(base, units);
        const put = this.option(c, this.strikeIndex(c, -rng.int(1, 3)), false);
        const call = this.option(c, this.strikeIndex(c, rng.int(1, 3)), true);
        const q = this.contracts(put, qb * base.cs);
        return [[base, qb], [put, q], [call, -q]];
      }
      case 'vertical': {
        const c = this.chain(u);
        const call = rng.chance(0.5);
        const dir = call ? 1 : -1;
        const near = this.strikeIndex(c, dir * rng.int(0, 2));
        const far = this.strikeIndex(c, dir * rng.int(3, 5));
        const a = this.option(c, near, call), b = this.option(c, far, call);
        const q = this.contracts(a, units) * rng.sign(0.6);
        return a.id === b.id ? [[a, q]] : [[a, q], [b, -q]];
      }
      case 'straddle': {
        const c = this.chain(u);
        const width = rng.chance(0.5) ? 0 : rng.int(1, 3);
        const call = this.option(c, this.strikeIndex(c, width), true);
        const put = this.option(c, this.strikeIndex(c, -width), false);
        const q = this.contracts(call, units) * rng.sign(0.5);
        return [[call, q], [put, q]];
      }
      case 'calendar': {
        if (u.chains.length < 2) return this.naked(u, units);
        const i = rng.int(0, u.chains.length - 2);
        const near = u.chains[i], far = u.chains[i + 1];
        const k = near.strikes[near.atm];
        const call = rng.chance(0.5);
        const a = (call ? near.calls : near.puts).get(k);
        const b = (call ? far.calls : far.puts).get(k);
        if (!a || !b) return this.naked(u, units);
        const q = this.contracts(a, units);
        return [[a, -q], [b, q]];
      }
      case 'hedgedStraddle': {
        const c = this.chain(u);
        const call = this.option(c, this.strikeIndex(c, rng.int(-1, 1)), true);
        const put = this.option(c, this.strikeIndex(c, rng.int(-1, 1)), false);
        const q = -this.contracts(call, units);
        const legs: [Tradable, number][] = [[call, q], [put, q]];
        const h = u.perps[0] ?? u.futures[0];
        if (h) {
          const d = call.delta * q + put.delta * q;
          const qh = Math.round(-d / h.delta / h.step) * h.step;
          if (qh !== 0) legs.push([h, qh]);
        }
        return legs;
      }
      case 'basis': {
        const base = u.spots.length && rng.chance(0.6) ? u.spots[0] : (u.perps[0] ?? u.spots[0]);
        const fut = rng.pick(u.futures);
        const qb = this.contracts(base, units);
        return [[base, qb], [fut, -this.contracts(fut, qb * base.cs)]];
      }
      case 'ironCondor': {
        const c = this.chain(u, true);
        const inner = rng.int(1, 2), outer = inner + rng.int(1, 3);
        const ps = this.option(c, this.strikeIndex(c, -inner), false);
        const pl = this.option(c, this.strikeIndex(c, -outer), false);
        const cs = this.option(c, this.strikeIndex(c, inner), true);
        const cl = this.option(c, this.strikeIndex(c, outer), true);
        const q = this.contracts(ps, units);
        return [[ps, -q], [pl, q], [cs, -q], [cl, q]];
      }
    }
  }

  retail(): Positions {
    const rng = this.rng;
    const p = new Positions();
    const notional = rng.lognormal(RETAIL_NOTIONAL, RETAIL_SPREAD);
    const strategies = 1 + (rng.chance(0.35) ? 1 : 0) + (rng.chance(0.1) ? 1 : 0);
    for (let s = 0; s < strategies; s++) {
      const u = this.unds[rng.weighted(this.weights)];
      const legs = this.strategy(u, notional / u.spot);
      // A strategy joins only if the portfolio stays within 10 positions.
      const fresh = legs.filter(([t]) => !p.lines.has(t.id)).length;
      if (p.lines.size > 0 && p.lines.size + fresh > 10) continue;
      for (const [t, q] of legs) p.add(t, q);
    }
    return p;
  }

  /** One long position in the first usable instrument: the last resort that cannot net out. */
  single(): Positions {
    const p = new Positions();
    const u = this.unds[0];
    const t = this.linear(u) ?? this.option(u.chains[0], u.chains[0].atm, true);
    p.add(t, this.contracts(t, RETAIL_NOTIONAL / u.spot));
    return p;
  }

  marketMaker(): Positions {
    const rng = this.rng;
    const p = new Positions();
    if (this.withOptions.length === 0) return this.retail();
    const k = Math.min(this.withOptions.length, rng.int(1, 3));
    const chosen: Underlying[] = [];
    while (chosen.length < k) {
      const u = this.withOptions[rng.weighted(this.optionWeights)];
      if (!chosen.includes(u)) chosen.push(u);
    }
    const size = (u: Underlying): number => u.chains.reduce((m, c) => m + 2 * c.strikes.length, 0);
    let pool = chosen.reduce((n, u) => n + size(u), 0);
    // A book of at least 50 lines needs chains that list enough options: add underlyings until they do.
    for (const u of this.withOptions) {
      if (pool >= 100) break;
      if (!chosen.includes(u)) { chosen.push(u); pool += size(u); }
    }
    const target = Math.min(pool, rng.int(50, 200 - 2 * chosen.length));
    const legs = new Map<Underlying, [Tradable, number][]>(chosen.map((u) => [u, []]));
    const shortBias = 0.4 + 0.2 * rng.next();
    for (let attempts = 0; p.lines.size < target && attempts < 20 * target; attempts++) {
      const u = chosen[rng.int(0, chosen.length - 1)];
      const c = this.chain(u);
      // Strikes near the money trade most: a normal draw of about 3 strikes around the ATM.
      const i = this.strikeIndex(c, Math.round(rng.normal() * 3));
      const o = this.option(c, i, rng.chance(0.5));
      if (p.lines.has(o.id)) continue;
      const q = rng.sign(shortBias) * this.contracts(o, rng.lognormal(MM_NOTIONAL, MM_SPREAD) / u.spot);
      p.add(o, q);
      legs.get(u)!.push([o, q]);
    }
    for (const u of chosen) this.hedge(p, u, legs.get(u)!);
    return p;
  }
}

function formatQuantity(q: number, step: number): string {
  return String(Number(q.toFixed(decimalsOf(step))));
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A book of `portfolios` portfolios over `market` as CSV text (docs/methods.md §4): header
 * `portfolio,instrument,quantity`, rows of a portfolio contiguous, every instrument from the
 * market, every portfolio with at least one position. Deterministic in (market, portfolios, seed).
 * Throws when the market has no instrument the generator can use (an underlying with a positive
 * spot, and a spot, perpetual, unexpired future or unexpired option with strike and vol, its own or
 * its underlying's surface's).
 */
export function generateBook(market: MarketInput, opts: BookOptions = {}): string {
  const n = opts.portfolios ?? DEFAULT_BOOK_PORTFOLIOS;
  const seed = opts.seed ?? DEFAULT_BOOK_SEED;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`portfolios must be a whole number >= 0, got ${n}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const unds = indexMarket(market);
  if (unds.length === 0) throw new Error('the market has no instrument a demo book can use');
  const builder = new BookBuilder(unds, seed);
  const rng = new DemoRandom(seed ^ 0x5bd1e995);
  const width = Math.max(5, String(n).length);
  const out: string[] = ['portfolio,instrument,quantity'];
  for (let i = 0; i < n; i++) {
    const id = 'P' + String(i + 1).padStart(width, '0');
    let p = rng.chance(MARKET_MAKER_SHARE) ? builder.marketMaker() : builder.retail();
    // Every leg netted out (rare: two strategies that cancel): draw again, then settle for one line.
    for (let retry = 0; p.compact() === 0 && retry < 10; retry++) p = builder.retail();
    if (p.lines.size === 0) p = builder.single();
    for (const [inst, l] of p.lines) out.push(`${id},${csvField(inst)},${formatQuantity(l.q, l.step)}`);
  }
  out.push('');
  return out.join('\n');
}

/** Writes generateBook(market, opts) to `path`. */
export function writeBook(path: string, market: MarketInput, opts: BookOptions = {}): void {
  writeFileSync(path, generateBook(market, opts));
}
