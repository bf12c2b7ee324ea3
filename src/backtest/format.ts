/**
 * The backtest's outputs (docs/backtesting.md §5.4): one row per portfolio in input order, then
 * the BOOK row, as CSV or NDJSON; and the timeline, one row per portfolio-date (the input of the
 * report's backtest chart). Numbers are the shortest text that reads back to the same double; a
 * statistic that does not exist (a mean cover without a loss day) is empty in CSV, null in NDJSON.
 */
import { csvField, type OutputFormat } from '../io/output.js';
import type { BacktestReport, BookBacktest, PortfolioBacktest } from './run.js';

export const BACKTEST_COLUMNS = [
  'portfolio', 'method', 'observations', 'exceedances', 'expected', 'rate', 'kupiec_lr', 'kupiec_p', 'christoffersen_lr',
  'christoffersen_p', 'cc_lr', 'cc_p', 'zone', 'worst_shortfall', 'worst_date', 'mean_cover', 'peak_to_trough', 'max_rise_1',
  'max_rise_30', 'status', 'error',
] as const;

export const TIMELINE_COLUMNS = ['portfolio', 'date', 'margin', 'loss', 'exceedance'] as const;

type Row = PortfolioBacktest | BookBacktest;

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** The row's fields, by column (numbers, strings or null). */
function fields(r: Row, method: string): Record<(typeof BACKTEST_COLUMNS)[number], string | number | null> {
  if (!r.ok) {
    return {
      portfolio: r.portfolio, method, observations: null, exceedances: null, expected: null, rate: null, kupiec_lr: null, kupiec_p: null,
      christoffersen_lr: null, christoffersen_p: null, cc_lr: null, cc_p: null, zone: null, worst_shortfall: null, worst_date: null,
      mean_cover: null, peak_to_trough: null, max_rise_1: null, max_rise_30: null, status: 'error', error: oneLine(r.message),
    };
  }
  return {
    portfolio: r.portfolio, method, observations: r.observations, exceedances: r.exceedances, expected: r.expected, rate: r.rate,
    kupiec_lr: r.kupiecLr, kupiec_p: r.kupiecP, christoffersen_lr: r.christoffersenLr, christoffersen_p: r.christoffersenP,
    cc_lr: r.ccLr, cc_p: r.ccP, zone: r.zone, worst_shortfall: r.worstShortfall, worst_date: r.worstDate, mean_cover: r.meanCover,
    peak_to_trough: r.peakToTrough, max_rise_1: r.maxRise1, max_rise_30: r.maxRise30, status: 'ok', error: null,
  };
}

function csvLine(values: (string | number | null)[], raw: boolean): string {
  return values.map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : csvField(v, raw))).join(',') + '\n';
}

/** The statistics rows: every portfolio, then BOOK. */
export function formatBacktest(report: BacktestReport, format: OutputFormat, options: { raw?: boolean } = {}): string {
  const rows: Row[] = [...report.portfolios, report.book];
  if (format === 'csv') {
    let out = BACKTEST_COLUMNS.join(',') + '\n';
    for (const r of rows) out += csvLine(BACKTEST_COLUMNS.map((c) => fields(r, report.method)[c]), options.raw === true);
    return out;
  }
  let out = '';
  for (const r of rows) {
    const o: Record<string, unknown> = fields(r, report.method);
    if (!r.ok) o.code = r.code;
    else if (r.portfolio === 'BOOK') {
      const b = r as BookBacktest & { ok: true };
      o.worst_portfolio = b.worstPortfolio;
      o.portfolios = b.portfolios;
      o.excluded = b.excluded;
    }
    if (r.ok) {
      o.binomial_cdf = r.binomialCdf;
      o.transitions = r.transitions;
      o.loss_days = r.lossDays;
    }
    out += JSON.stringify(o) + '\n';
  }
  return out;
}

/** The timeline: portfolio,date,margin,loss,exceedance for every date of every portfolio without an error, a portfolio a chunk. */
export function* timelineChunks(report: BacktestReport, format: OutputFormat, options: { raw?: boolean } = {}): Generator<string> {
  if (format === 'csv') yield TIMELINE_COLUMNS.join(',') + '\n';
  for (const r of report.portfolios) {
    if (!r.ok) continue;
    const id = format === 'csv' ? csvField(r.portfolio, options.raw === true) : JSON.stringify(r.portfolio);
    let chunk = '';
    for (let d = 0; d < report.dates.length; d++) {
      const m = r.margins[d], l = r.losses[d], x = l > m ? 1 : 0;
      chunk += format === 'csv'
        ? `${id},${report.dates[d]},${m},${l},${x}\n`
        : `{"portfolio":${id},"date":"${report.dates[d]}","margin":${m},"loss":${l},"exceedance":${x === 1}}\n`;
    }
    yield chunk;
  }
}

/** The whole timeline as one text (timelineChunks joined). */
export function formatTimeline(report: BacktestReport, format: OutputFormat, options: { raw?: boolean } = {}): string {
  return [...timelineChunks(report, format, options)].join('');
}
