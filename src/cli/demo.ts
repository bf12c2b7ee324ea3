/**
 * `margin-engine demo`: the bundled example market and a seeded book of N portfolios, margined
 * with the grid; writes DIR/book.csv and DIR/results.csv and prints a summary.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseMarket } from '../market/load.js';
import { parsePortfolios } from '../portfolio/read.js';
import { createGridModel } from '../models/grid.js';
import { formatResults } from '../io/output.js';
import { OutputTarget, UsageError } from '../io/target.js';
import { chunkedMap, type Interrupts } from '../io/signals.js';
import { packageFile } from '../paths.js';
import type { MarginResult } from '../results.js';
import type { ResolvedMarket } from '../market/types.js';
import { interrupted } from './outputs.js';

/** The command's help section (usage, what it does, every option with its default). */
export const DEMO_HELP = `Usage:
  margin-engine demo [--portfolios N] [--out-dir DIR] [--csv-raw]

The bundled example: a realistic market and a generated book of N portfolios, margined with the
grid; prints a summary and writes DIR/book.csv and DIR/results.csv.

Options:
  --portfolios N        portfolios to generate (default 10000)
  --out-dir DIR         where book.csv and results.csv go (default out)
  --csv-raw             results.csv without the spreadsheet formula guard (default off; see run)`;

/** `margin-engine demo` (what `npm start` runs); returns the exit status. */
export async function demo(argv: string[], interrupts: Interrupts): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { portfolios: { type: 'string', default: '10000' }, 'out-dir': { type: 'string', default: 'out' }, 'csv-raw': { type: 'boolean' } },
  });
  const count = Number(values.portfolios);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--portfolios: expected a whole number >= 1, got ${JSON.stringify(values.portfolios)}`);
  const { generateBook } = await import('../demo/book.js');
  const dir = values['out-dir']!;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`--out-dir ${dir}: cannot be made (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const bookPath = join(dir, 'book.csv');
  const outPath = join(dir, 'results.csv');
  const bookOut = OutputTarget.open('--out-dir', bookPath);
  const out = OutputTarget.open('--out-dir', outPath);
  try {
    const marketPath = packageFile('examples', 'market.json');
    const t0 = performance.now();
    const marketText = readFileSync(marketPath, 'utf8');
    const market = parseMarket(marketText, 'examples/market.json');
    const bookText = generateBook(JSON.parse(marketText), { portfolios: count, seed: 1 });
    bookOut.write(bookText);
    await bookOut.commit();
    const t1 = performance.now();
    const model = createGridModel(market);
    const t2 = performance.now();
    const portfolios = parsePortfolios(bookText, bookPath);
    const t3 = performance.now();
    const { results, stopped } = await chunkedMap(portfolios, (chunk) => model.marginAll(chunk), interrupts.signal, 256);
    const t4 = performance.now();
    out.write(formatResults(results, 'grid', 'csv', { currency: market.currency, raw: values['csv-raw'] === true }));
    if (stopped || interrupts.received) return interrupted([out], interrupts, `margined ${results.length} of ${portfolios.length} portfolios`);
    await out.commit();
    const t5 = performance.now();
    printSummary(market, results, { positions: portfolios.reduce((n: number, p) => n + (p.positions?.length ?? 0), 0), bookPath, outPath,
      times: { generate: t1 - t0, cube: t2 - t1, parse: t3 - t2, margin: t4 - t3, write: t5 - t4, total: t5 - t0 },
      cube: `${model.cube.nInstruments} instruments x ${model.cube.nScen} scenarios` });
    return 0;
  } catch (e) {
    throw bookOut.failed ?? out.failed ?? e;
  } finally {
    bookOut.discard();
    out.discard();
  }
}

function printSummary(market: ResolvedMarket, results: MarginResult[], info: {
  positions: number; bookPath: string; outPath: string; cube: string; times: Record<string, number>;
}): void {
  const ok = results.filter((r) => r.ok);
  const total = ok.reduce((s, r) => s + (r.ok ? r.initialMargin : 0), 0);
  const money = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const lines = [
    `margin-engine demo: grid margin on examples/market.json (${market.instruments.ids.length} instruments, ${market.underlyings.ids.length} underlyings)`,
    `  portfolios      ${results.length} (${info.positions} positions), ${ok.length} ok, ${results.length - ok.length} errors`,
    `  cube            ${info.cube}`,
    `  total initial margin  ${money(total)} ${market.currency}`,
    `  largest requirements:`,
    ...[...ok].sort((a, b) => (b.ok ? b.initialMargin : 0) - (a.ok ? a.initialMargin : 0)).slice(0, 5)
      .map((r) => `    ${r.portfolio.padEnd(12)} ${money(r.ok ? r.initialMargin : 0).padStart(16)} ${market.currency}`),
    `  time            generate book ${ms(info.times.generate)}, cube ${ms(info.times.cube)}, parse ${ms(info.times.parse)}, ` +
      `margin ${ms(info.times.margin)}, write ${ms(info.times.write)}; total ${ms(info.times.total)}`,
    `  book            ${info.bookPath}`,
    `  results         ${info.outPath}`,
  ];
  const stdout = OutputTarget.stdout();
  stdout.write(lines.join('\n') + '\n');
}
