/**
 * Accounts margined from scratch (the batch path and the `accounts` command): one engine for the
 * market, then every account's rows built from its positions and balances and evaluated in every
 * mode. The continuous margin book (src/book) must always agree with this.
 */
import type { KernelExports } from '../wasm/module.js';
import type { EsSpec, GridSpec } from '../market/types.js';
import { createAccount } from './state.js';
import { evaluate } from './evaluation.js';
import { ScenarioEngine } from './engine.js';
import type { AccountMarket } from './market.js';
import { checkAccountsFile } from './parse.js';
import { checkAccountMarket } from '../options.js';
import { isAccountError, type AccountMargin, type AccountMethod, type AccountsFile } from './types.js';

export interface AccountMarginOptions {
  method?: AccountMethod;
  grid?: GridSpec;
  es?: EsSpec;
  kernels?: KernelExports;
}

/** Margins every account of a file: one result per account, in file order (errors as data). */
export function marginAccounts(market: AccountMarket, file: AccountsFile, options: AccountMarginOptions = {}): AccountMargin[] {
  return [...marginAccountsEach(market, file, options)];
}

/** The same, one account at a time (a caller may stop, or yield to the event loop, between them). */
export function* marginAccountsEach(market: AccountMarket, file: AccountsFile, options: AccountMarginOptions = {}): Generator<AccountMargin> {
  market = checkAccountMarket(market, 'marginAccounts: market');
  checkAccountsFile(file, 'marginAccounts: file');
  const method = options.method ?? 'grid';
  const engine = new ScenarioEngine(market, file.assets.values(), { ...options, method });
  for (const entry of file.accounts) yield ((): AccountMargin => {
    if (isAccountError(entry)) return { ok: false, account: entry.id, method, code: 'E_INPUT', message: entry.error };
    const a = createAccount(engine, entry);
    const r = evaluate(engine, a, true);
    const bad = [r.equity, r.initialMargin, r.modes.isolated.initialMargin, r.modes.cross.initialMargin, r.modes.portfolio.initialMargin]
      .some((x) => !Number.isFinite(x));
    if (bad) return { ok: false, account: entry.id, mode: entry.mode, method, code: 'E_INTERNAL', message: 'a margin or the equity is not finite' };
    return r;
  })();
}
