/**
 * `margin-engine value`: every contract of the market valued, with its greeks and the vol each
 * option was priced with (instrument,value,delta,gamma,vega,theta,vol,vol_source,greeks_wrt).
 */
import { parseArgs } from 'node:util';
import { formatValuations, valueMarket } from '../valuation.js';
import { OutputTarget, UsageError } from '../io/target.js';
import type { Interrupts } from '../io/signals.js';
import { OUT_OPTIONS, OUTPUT_OPTIONS_TEXT } from './args.js';
import { interrupted, outputFormat } from './outputs.js';
import { loadMarket } from './inputs.js';

/** The command's help section (usage, what it does, every option with its default). */
export const VALUE_HELP = `Usage:
  margin-engine value --market FILE [--out FILE] [--format csv|ndjson] [--csv-raw]

Values every instrument of --market: instrument,value,delta,gamma,vega,theta,vol,vol_source,
greeks_wrt per contract. vol is the implied vol an option was priced with and vol_source where
it came from: given (the option's own vol) or surface (its underlying's surface at its strike and
expiry); both are empty for an instrument that is not an option (null in NDJSON). greeks_wrt is
what delta and gamma are with respect to: the underlying, or for an option on a future (Black-76
on its price) that future.

Options:
  --market FILE         market snapshot (JSON); - reads standard input. Required
${OUTPUT_OPTIONS_TEXT}`;

/** `margin-engine value`; returns the exit status (errors are thrown, main maps them to 2 or 1). */
export async function value(argv: string[], interrupts: Interrupts): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { market: { type: 'string' }, ...OUT_OPTIONS } });
  if (!values.market) throw new UsageError('value: --market FILE is required');
  const out = OutputTarget.open('--out', values.out, [{ flag: '--market', path: values.market }]);
  try {
    const format = outputFormat(values.out, values.format);
    const market = loadMarket(values.market);
    out.write(formatValuations(valueMarket(market), format, { raw: values['csv-raw'] === true }));
    if (interrupts.received) return interrupted([out], interrupts, `valued ${market.instruments.ids.length} instruments`);
    await out.commit();
    return 0;
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
}
