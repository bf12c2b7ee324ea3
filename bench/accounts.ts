/**
 * Benchmarks of the account layer and the continuous margin book, on examples/market.json with
 * the grid method:
 *
 * - what-if latency (the pre-trade check a matching engine calls on every order) for the example
 *   20-position market-maker account, p50 and p99 over single calls timed one by one, against two
 *   baselines measured in the same run: the timer alone, and the portfolio margined from scratch by
 *   the grid model (its 20 positions and the order, no collateral);
 * - ticks per second re-margined for a book of 100,000 accounts (the demo book generator's
 *   portfolios with collateral sized to 1 to 4 times their requirement): each tick moves one
 *   underlying, rebuilds its block of the cube and re-margins every account holding it;
 * - trade latency (one account's rows updated in O(scenarios) and re-margined).
 *
 * Run: `npm run build && node dist/bench/accounts.js [--quick] [--accounts N] [--out FILE]`.
 * Prints the environment and the numbers; writes them as JSON (default bench/results/accounts.json).
 * Inputs are generated and seeded outside every timed loop.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { environment, formatEnvironment, packageRoot } from './env.js';
import { sampleLatency, timerOverhead, type Latency } from './harness.js';
import { generateBook } from '../src/demo/book.js';
import { DemoRandom } from '../src/demo/random.js';
import { parsePortfolios } from '../src/portfolio/read.js';
import { createGridModel } from '../src/models/grid.js';
import { resolveAccountMarket } from '../src/accounts/market.js';
import { resolveAccounts } from '../src/accounts/parse.js';
import type { AccountInput, AccountsFileInput, MarginMode } from '../src/accounts/types.js';
import type { MarketInput } from '../src/market/types.js';
import { MarginBook } from '../src/book/book.js';
import { parseEvent, type Order } from '../src/book/events.js';

interface Args { quick: boolean; accounts: number; out: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, accounts: 100_000, out: join(packageRoot(), 'bench', 'results', 'accounts.json') };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--quick') { a.quick = true; a.accounts = 10_000; } else if (x === '--accounts') a.accounts = Number(argv[++i]);
    else if (x === '--out') a.out = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${x} (use --quick, --accounts N, --out FILE)`);
  }
  if (!Number.isInteger(a.accounts) || a.accounts < 1) throw new Error('--accounts: expected a whole number >= 1');
  return a;
}

const fmtUs = (l: Latency) => `p50 ${l.p50.toFixed(2)} us, p99 ${l.p99.toFixed(2)} us, mean ${l.mean.toFixed(2)} us (${l.samples} calls)`;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const env = environment();
  const root = packageRoot();
  console.log('margin-engine account benchmarks (grid method, examples/market.json)');
  console.log(formatEnvironment(env));
  const marketInput = JSON.parse(readFileSync(join(root, 'examples', 'market.json'), 'utf8')) as MarketInput;
  const example = JSON.parse(readFileSync(join(root, 'examples', 'accounts.json'), 'utf8')) as AccountsFileInput;
  const am = resolveAccountMarket(marketInput, 'examples/market.json');

  // --- The book: the example accounts plus generated ones, collateral sized to their requirement.
  const t0 = performance.now();
  const portfolios = parsePortfolios(generateBook(marketInput, { portfolios: args.accounts, seed: 7 }), 'book.csv');
  const model = createGridModel(am.market);
  const rng = new DemoRandom(11);
  const modes: MarginMode[] = ['portfolio', 'portfolio', 'portfolio', 'cross', 'cross', 'isolated'];
  const spot = (u: string) => marketInput.underlyings[u].spot;
  const accounts: AccountInput[] = [...example.accounts];
  let positions = 0;
  for (const p of portfolios) {
    if (!p.positions) continue;
    const m = model.margin({ id: p.id, positions: p.positions });
    const im = m.ok ? m.initialMargin : 0;
    const budget = Math.max(100, im * (1 + 3 * rng.next()));
    const collateral: Record<string, number> = {};
    const x = rng.next();
    if (x < 0.6) collateral.USD = Math.round(budget);
    else if (x < 0.8) { collateral.USDC = Math.round(budget * 0.5); collateral.BTC = Math.round((budget * 0.6 / spot('BTC')) * 1e4) / 1e4; } else { collateral.USDT = Math.round(budget * 0.3); collateral.ETH = Math.round((budget * 0.9 / spot('ETH')) * 100) / 100; }
    const coin = rng.next() < 0.05;
    accounts.push({
      account: p.id, mode: rng.pick(modes), numeraire: coin ? 'BTC' : 'USD',
      collateral: coin ? { BTC: Math.round((budget * 1.2 / spot('BTC')) * 1e4) / 1e4 } : collateral, positions: p.positions,
    });
    positions += p.positions.length;
  }
  const file = resolveAccounts({ assets: example.assets, accounts }, 'accounts', am.market);
  const t1 = performance.now();
  const book = new MarginBook(am, file, { method: 'grid' });
  const t2 = performance.now();
  const notHealthy = book.initialStatuses().length;
  console.log(`\nbook: ${book.size} accounts, ${positions + 52} positions, ${book.engine.nInstr} instruments x ${book.engine.nScen} scenarios; `
    + `generated in ${((t1 - t0) / 1000).toFixed(1)} s, loaded in ${((t2 - t1) / 1000).toFixed(2)} s (${((t2 - t1) * 1000 / book.size).toFixed(1)} us an account); ${notHealthy} not healthy at load`);

  // --- What-if latency, 20-position account.
  const target = 'market-maker';
  const held = example.accounts.find((a) => a.account === target)!.positions!.map((p) => p.instrument);
  const tradable = am.market.instruments.ids.filter((id) => /^(BTC|ETH|SOL)/.test(id));
  const orders: Order[][] = Array.from({ length: 4096 }, () => [{
    instrument: rng.chance(0.5) ? rng.pick(held) : rng.pick(tradable),
    quantity: rng.sign() * rng.int(1, 10) * (rng.chance(0.5) ? 1 : 0.1),
  }]);
  // Check once: a what-if equals applying the order to a twin account (in a book of its own).
  const twin = new MarginBook(am, resolveAccounts({ assets: example.assets, accounts: example.accounts }, 'example', am.market));
  const w = book.whatIf(target, orders[0]);
  twin.apply(parseEvent({ type: 'trade', account: target, ...orders[0][0] }, 'check'));
  const tm = twin.margin(target);
  if (Math.abs(w.after.initialMargin - tm.initialMargin) > 1e-9 * Math.max(1, tm.initialMargin)) {
    throw new Error(`what-if check failed: ${w.after.initialMargin} vs ${tm.initialMargin}`);
  }
  const warm = args.quick ? 20_000 : 100_000, samples = args.quick ? 50_000 : 300_000;
  const timer = timerOverhead();
  const whatIf = sampleLatency((i) => book.whatIf(target, orders[i & 4095]), warm, samples);
  const basePositions = example.accounts.find((a) => a.account === target)!.positions!.map((p) => ({ instrument: p.instrument, quantity: p.quantity }));
  const scratch = sampleLatency((i) => model.margin({ id: target, positions: [...basePositions, orders[i & 4095][0]] }), warm / 10, samples / 10);
  const someIds = book.ids().slice(8);
  const randomOrders: { id: string; orders: Order[] }[] = Array.from({ length: 4096 }, () => ({ id: rng.pick(someIds), orders: rng.pick(orders) }));
  const whatIfAny = sampleLatency((i) => { const o = randomOrders[i & 4095]; return book.whatIf(o.id, o.orders); }, warm / 10, samples / 10);
  console.log(`\nwhat-if, 20-position account "${target}" (portfolio mode, USD, collateral USD+BTC+ETH):\n  ${fmtUs(whatIf)}`);
  console.log(`  baseline, timer alone:            ${fmtUs(timer)}`);
  console.log(`  baseline, grid model from scratch (21 positions, no collateral): ${fmtUs(scratch)}`);
  console.log(`what-if on random accounts of the book (1 order, any mode/numeraire): ${fmtUs(whatIfAny)}`);
  console.log(`  target p50 <= 5 us: ${whatIf.p50 <= 5 ? 'met' : 'NOT met'}`);

  // --- Ticks: one underlying moves; its cube block is rebuilt and every holder re-margined.
  const und = am.market.underlyings.ids;
  const rounds = args.quick ? 3 : 10;
  const perU = new Map<string, { ms: number; n: number }>();
  let changes = 0, ticks = 0;
  const spotNow = new Map(und.map((u) => [u, spot(u)]));
  // Warm-up round (not timed).
  for (const u of und) book.apply(parseEvent({ type: 'price', underlying: u, spot: spotNow.get(u)! * 1.0005 }, 'warm'));
  const tT0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const u of und) {
      const s = spotNow.get(u)! * Math.exp(0.004 * (rng.next() - 0.5));
      spotNow.set(u, s);
      const a = performance.now();
      const res = book.apply(parseEvent({ type: 'price', underlying: u, spot: s }, 'tick'));
      const b = performance.now();
      if (!res.ok) throw new Error(res.message);
      changes += res.changes.length;
      ticks++;
      const e = perU.get(u) ?? { ms: 0, n: 0 };
      e.ms += b - a; e.n++;
      perU.set(u, e);
    }
  }
  const tT1 = performance.now();
  const tickRate = ticks / ((tT1 - tT0) / 1000);
  const holdersOf = (u: string) => book.holderCount(u);
  let remargined = 0;
  for (const u of und) remargined += holdersOf(u) * rounds;
  console.log(`\nticks on a book of ${book.size} accounts: ${ticks} ticks in ${((tT1 - tT0) / 1000).toFixed(2)} s: `
    + `${tickRate.toFixed(1)} ticks/s, ${(remargined / ((tT1 - tT0) / 1000) / 1e6).toFixed(2)} M account re-margins/s, ${changes} status changes`);
  const perUnderlying: Record<string, { ms: number; holders: number }> = {};
  for (const u of und) {
    const e = perU.get(u)!;
    perUnderlying[u] = { ms: e.ms / e.n, holders: holdersOf(u) };
    console.log(`  ${u.padEnd(5)} ${(e.ms / e.n).toFixed(1).padStart(7)} ms a tick, ${holdersOf(u)} accounts hold it (${book.engine.count[am.market.underlyings.index.get(u)!]} instruments revalued)`);
  }

  // --- Trades: O(scenarios) update of one account's row, then its re-margin.
  const tradeEvents = Array.from({ length: 4096 }, () => {
    const id = rng.pick(someIds);
    return parseEvent({ type: 'trade', account: id, instrument: rng.pick(tradable), quantity: rng.sign() * rng.int(1, 5) * 0.1 }, 'trade');
  });
  const trade = sampleLatency((i) => book.apply(tradeEvents[i & 4095]), 2000, args.quick ? 10_000 : 50_000);
  console.log(`\ntrade (apply + re-margin of one account): ${fmtUs(trade)}`);

  const results = {
    environment: env, date: new Date().toISOString(), quick: args.quick,
    book: { accounts: book.size, loadSeconds: (t2 - t1) / 1000, instruments: book.engine.nInstr, scenarios: book.engine.nScen },
    whatIf20Positions: whatIf, baselineTimer: timer, baselineGridFromScratch: scratch, whatIfRandomAccounts: whatIfAny,
    ticks: { ticks, seconds: (tT1 - tT0) / 1000, ticksPerSecond: tickRate, accountRemarginsPerSecond: remargined / ((tT1 - tT0) / 1000), statusChanges: changes, perUnderlying },
    trade,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${args.out}`);
}

main();
