/** Values and greeks of every instrument of a market, per contract (docs/methods.md §16.2, `value`). */
import type { ResolvedMarket } from './market/types.js';
import { Arena } from './wasm/arena.js';
import { checkMarket } from './options.js';
import { instantiateKernels, type KernelExports } from './wasm/module.js';
import { valueTable } from './kernels/valuation.js';
import { csvField } from './io/output.js';
import { KIND_CALL, KIND_PUT, NGREEKS, OUT_DELTA, OUT_GAMMA, OUT_THETA, OUT_VALUE, OUT_VEGA } from './layout.js';
import { InputError } from './errors.js';
import { fieldPath } from './market/validate.js';

export interface Valuation {
  instrument: string;
  /** Value of one contract, in the market's currency. */
  value: number;
  /** dV/dS. */
  delta: number;
  /** d2V/dS2. */
  gamma: number;
  /** dV/dvol, per 1.00 of vol. */
  vega: number;
  /** dV/dt per year of calendar time passing. */
  theta: number;
  /** The implied vol an option was priced with; null for other instruments. */
  vol: number | null;
  /**
   * Where an option's vol came from: `given` (its own `vol`) or `surface` (its underlying's
   * surface at its strike and expiry, docs/surfaces.md); null for other instruments.
   */
  volSource: 'given' | 'surface' | null;
  /**
   * What delta and gamma are with respect to (per unit of its price): the id of the instrument's
   * underlying, or of the future an option on a future is written on (Black-76, docs/methods.md §3.3).
   */
  greeksWrt: string;
}

export function valueMarket(market: ResolvedMarket, kernels: KernelExports = instantiateKernels()): Valuation[] {
  checkMarket(market, 'valueMarket');
  const n = market.instruments.ids.length;
  const out = valueTable(new Arena(kernels), market.table, n);
  if (out.length !== NGREEKS * n) throw new Error(`valuation returned ${out.length} numbers for ${n} instruments`);
  // A NaN or infinite number is an input error naming the instrument: never printed as a value.
  const names = ['value', 'delta', 'gamma', 'vega', 'theta'];
  for (let c = 0; c < NGREEKS; c++) {
    for (let i = 0; i < n; i++) {
      const x = out[c * n + i];
      if (x - x === 0) continue;
      const at = fieldPath('instruments', market.instruments.ids[i]);
      throw new InputError(`${market.source}: ${at}: its ${names[c]} is ${x}: its numbers (spot, strike, price, contract size, `
        + 'rate, vol, expiry) overflow a float64', { file: market.source, path: at });
    }
  }
  const { kind, vol, volFromSurface, future, underlying } = market.instruments;
  return market.instruments.ids.map((instrument, i) => {
    const option = kind[i] === KIND_CALL || kind[i] === KIND_PUT;
    return {
      instrument,
      value: out[OUT_VALUE * n + i],
      delta: out[OUT_DELTA * n + i],
      gamma: out[OUT_GAMMA * n + i],
      vega: out[OUT_VEGA * n + i],
      theta: out[OUT_THETA * n + i],
      vol: option ? vol[i] : null,
      volSource: option ? (volFromSurface?.[i] === 1 ? 'surface' : 'given') : null,
      greeksWrt: (future?.[i] ?? -1) >= 0 ? market.instruments.ids[future![i]] : market.underlyings.ids[underlying[i]],
    };
  });
}

/** The `value` columns, in order (CSV header; NDJSON keys are the same). */
const VALUE_COLUMNS = ['instrument', 'value', 'delta', 'gamma', 'vega', 'theta', 'vol', 'vol_source', 'greeks_wrt'] as const;

/**
 * The `value` output; in CSV an instrument id a spreadsheet would run as a formula is guarded
 * unless `raw` (io/output.ts csvField), and so is `greeks_wrt`. `vol` and `vol_source` are empty
 * in CSV and null in NDJSON for an instrument that is not an option.
 */
export function formatValuations(rows: readonly Valuation[], format: 'csv' | 'ndjson', opts: { raw?: boolean } = {}): string {
  if (format === 'ndjson') {
    return rows.map((r) => JSON.stringify({
      instrument: r.instrument, value: r.value, delta: r.delta, gamma: r.gamma, vega: r.vega, theta: r.theta,
      vol: r.vol, vol_source: r.volSource, greeks_wrt: r.greeksWrt,
    }) + '\n').join('');
  }
  return `${VALUE_COLUMNS.join(',')}\n` +
    rows.map((r) => `${csvField(r.instrument, opts.raw)},${r.value},${r.delta},${r.gamma},${r.vega},${r.theta},`
      + `${r.vol ?? ''},${r.volSource ?? ''},${csvField(r.greeksWrt, opts.raw)}\n`).join('');
}
