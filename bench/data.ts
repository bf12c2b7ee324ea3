/**
 * Benchmark inputs, generated once per case outside every timed loop: the example market, option
 * tables drawn from it, scenario sets and portfolios. Everything is seeded: two runs time the
 * same inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveMarket } from '../src/market/load.js';
import type { MarketInput, ResolvedMarket } from '../src/market/types.js';
import type { Position } from '../src/portfolio/resolve.js';
import { DemoRandom } from '../src/demo/random.js';
import { NCOLS, COL_KIND, COL_U, KIND_CALL, KIND_PUT } from '../src/layout.js';
import { packageRoot } from './env.js';

export function exampleMarketInput(): MarketInput {
  return JSON.parse(readFileSync(join(packageRoot(), 'examples', 'market.json'), 'utf8')) as MarketInput;
}

export function exampleMarket(): ResolvedMarket {
  return resolveMarket(exampleMarketInput(), 'examples/market.json');
}

/** Rows `rows` of the market's instrument table, as a table of their own (kernel layout). */
export function subTable(market: ResolvedMarket, rows: readonly number[]): Float64Array {
  const n = market.instruments.ids.length, m = rows.length;
  const t = new Float64Array(NCOLS * m);
  for (let c = 0; c < NCOLS; c++) for (let k = 0; k < m; k++) t[c * m + k] = market.table[c * n + rows[k]];
  return t;
}

/** `count` distinct options of the market, drawn with a seeded generator (all of them when fewer). */
export function pickOptions(market: ResolvedMarket, count: number, seed: number): number[] {
  const n = market.instruments.ids.length;
  const options: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = market.table[COL_KIND * n + i];
    if (k === KIND_CALL || k === KIND_PUT) options.push(i);
  }
  const rng = new DemoRandom(seed);
  for (let i = options.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [options[i], options[j]] = [options[j], options[i]];
  }
  return options.slice(0, count).sort((a, b) => a - b);
}

export interface KernelScenarios {
  nU: number;
  nScen: number;
  stride: number;
  spotMult: Float64Array;
  volShock: Float64Array;
  volWeight: Float64Array;
  horizonYears: number;
}

/**
 * Scenarios for the kernel benchmarks: spot multipliers exp(0.1 z) (a two-day move of a very
 * volatile underlying, to a few sigma), relative vol shocks uniform in [-0.3, 0.3], tenor weights
 * in [0.5, 1.5], a two-day horizon. Padding columns hold multiplier 1 and shock 0.
 */
export function kernelScenarios(nU: number, nInstruments: number, nScen: number, seed: number): KernelScenarios {
  const rng = new DemoRandom(seed);
  const stride = nScen + (nScen & 1);
  const spotMult = new Float64Array(nU * stride).fill(1);
  const volShock = new Float64Array(nU * stride);
  for (let u = 0; u < nU; u++) {
    for (let s = 0; s < nScen; s++) {
      spotMult[u * stride + s] = Math.exp(0.1 * rng.normal());
      volShock[u * stride + s] = -0.3 + 0.6 * rng.next();
    }
  }
  const volWeight = Float64Array.from({ length: nInstruments }, () => 0.5 + rng.next());
  return { nU, nScen, stride, spotMult, volShock, volWeight, horizonYears: 2 / 365 };
}

/** The largest underlying index of a table, plus one. */
export function underlyingCount(table: Float64Array, n: number): number {
  let nU = 0;
  for (let i = 0; i < n; i++) nU = Math.max(nU, table[COL_U * n + i] + 1);
  return nU;
}

/**
 * `count` portfolios of exactly `size` positions each over distinct instruments of the market
 * (all of them when the market has fewer), signed quantities of 1 to 20 contracts.
 */
export function randomPortfolios(market: ResolvedMarket, size: number, count: number, seed: number): { id: string; positions: Position[] }[] {
  const rng = new DemoRandom(seed);
  const ids = market.instruments.ids;
  const out: { id: string; positions: Position[] }[] = [];
  for (let p = 0; p < count; p++) {
    const chosen = new Set<number>();
    const k = Math.min(size, ids.length);
    while (chosen.size < k) chosen.add(rng.int(0, ids.length - 1));
    const positions = [...chosen].map((i) => ({ instrument: ids[i], quantity: rng.sign() * rng.int(1, 20) }));
    out.push({ id: `B${size}-${p}`, positions });
  }
  return out;
}
