/**
 * The per-account report (`margin-engine accounts`): CSV, or NDJSON with every mode and the
 * standalone items. All amounts are in the account's numeraire (column `numeraire`).
 */
import { csvField } from '../io/output.js';
import type { AccountMargin, MarginMode } from './types.js';
import { InputError } from '../errors.js';
import { checkOptions, given } from '../options.js';

export const ACCOUNT_COLUMNS = [
  'account', 'mode', 'method', 'numeraire', 'status', 'equity', 'initial_margin', 'maintenance_margin', 'excess', 'error',
  'isolated_initial', 'cross_initial', 'portfolio_initial', 'isolated_status', 'cross_status', 'portfolio_status',
  'portfolio_saving', 'collateral_value', 'collateral_after_haircut', 'cash', 'unrealised_pnl', 'option_value', 'spot_value',
] as const;

const num = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : String(x));
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** One CSV row; text fields a spreadsheet would run as a formula are guarded unless `raw` (io/output.ts csvField). */
export function accountCsvRow(r: AccountMargin, raw = false): string {
  if (!r.ok) {
    const cells = [csvField(r.account, raw), r.mode ?? '', r.method, '', 'error', '', '', '', '', csvField(oneLine(r.message), raw)];
    while (cells.length < ACCOUNT_COLUMNS.length) cells.push('');
    return cells.join(',') + '\n';
  }
  const m = r.modes;
  return [
    csvField(r.account, raw), r.mode, r.method, csvField(r.numeraire, raw), r.status, num(r.equity), num(r.initialMargin), num(r.maintenanceMargin),
    num(r.excess), '', num(m.isolated.initialMargin), num(m.cross.initialMargin), num(m.portfolio.initialMargin), m.isolated.status,
    m.cross.status, m.portfolio.status, num(m.cross.initialMargin - m.portfolio.initialMargin), num(r.collateralValue),
    num(r.collateralAfterHaircut), num(r.cash), num(r.unrealisedPnl), num(r.optionValue), num(r.spotValue),
  ].join(',') + '\n';
}

export function accountNdjsonRow(r: AccountMargin): string {
  if (!r.ok) {
    return JSON.stringify({ account: r.account, mode: r.mode ?? null, method: r.method, status: 'error', error: oneLine(r.message), code: r.code }) + '\n';
  }
  const modes: Record<string, unknown> = {};
  for (const k of ['isolated', 'cross', 'portfolio'] as MarginMode[]) {
    const x = r.modes[k];
    modes[k] = { initial_margin: x.initialMargin, maintenance_margin: x.maintenanceMargin, excess: x.excess, status: x.status };
  }
  return JSON.stringify({
    account: r.account, mode: r.mode, method: r.method, numeraire: r.numeraire, status: r.status, equity: r.equity,
    initial_margin: r.initialMargin, maintenance_margin: r.maintenanceMargin, excess: r.excess, error: null,
    collateral_value: r.collateralValue, collateral_after_haircut: r.collateralAfterHaircut, cash: r.cash,
    unrealised_pnl: r.unrealisedPnl, option_value: r.optionValue, spot_value: r.spotValue, modes,
    standalone: (r.standalone ?? []).map((s) => ({
      item: s.item, initial_margin: s.initialMargin, isolated_equity: s.isolatedEquity, isolated_status: s.isolatedStatus,
    })),
  }) + '\n';
}

export function formatAccounts(rows: readonly AccountMargin[], format: 'csv' | 'ndjson', opts: { raw?: boolean } = {}): string {
  if (!Array.isArray(rows)) throw new InputError(`formatAccounts: rows: expected a list of account results (from marginAccounts()), got ${given(rows)}`, { path: 'rows' });
  if (format !== 'csv' && format !== 'ndjson') throw new InputError(`formatAccounts: format: expected "csv" or "ndjson", got ${given(format)}`, { path: 'format' });
  opts = checkOptions(opts, 'formatAccounts');
  if (format === 'ndjson') return rows.map(accountNdjsonRow).join('');
  return ACCOUNT_COLUMNS.join(',') + '\n' + rows.map((r) => accountCsvRow(r, opts.raw)).join('');
}
