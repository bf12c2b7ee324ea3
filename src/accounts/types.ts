/**
 * Accounts: who owes margin. An account holds collateral balances in several assets, a cash
 * balance in its numeraire, and positions; its equity is compared with its requirement under its
 * margin mode. These are the shapes read from an account file and returned by the account layer
 * (docs/accounts.md gives every formula).
 */
import type { ErrorCode } from '../errors.js';

/** How an account's requirement is formed (docs/accounts.md, "Margin modes"). */
export type MarginMode = 'isolated' | 'cross' | 'portfolio';
export const MARGIN_MODES: readonly MarginMode[] = ['isolated', 'cross', 'portfolio'];

/** healthy: equity >= initial; margin_call: maintenance <= equity < initial; liquidation: equity < maintenance. */
export type AccountStatus = 'healthy' | 'margin_call' | 'liquidation';

/** The margin methods an account can be measured with. */
export type AccountMethod = 'grid' | 'es';

/** An asset of the `assets` block: its haircut, and its fixed price when it is not priced by the market. */
export interface AssetInput {
  /**
   * Fraction of the value not counted in equity, in [0, 1), when the asset is held in an account
   * measured in another numeraire (in its own numeraire an asset has no haircut).
   */
  haircut?: number;
  /** Price in the market's currency; only for assets that are neither the currency nor an underlying. */
  price?: number;
}

/** A position as written in an account file. */
export interface AccountPositionInput {
  instrument: string;
  /** Signed contracts. */
  quantity: number;
  /** Futures and perpetuals only: average entry price per unit of underlying (default: the current mark). */
  price?: number;
}

/** An account as written in an account file (JSON, or one NDJSON line). */
export interface AccountInput {
  account: string;
  /** Default "cross". */
  mode?: MarginMode;
  /** The asset the account is measured in: the market's currency (default), an underlying (coin-margined) or a priced asset. */
  numeraire?: string;
  /** Balances (>= 0) by asset id. */
  collateral?: Record<string, number>;
  /** Settled cash in the numeraire (premiums paid and received, realised P&L); may be negative. Default 0. */
  cash?: number;
  positions?: AccountPositionInput[];
}

/** A whole account file. */
export interface AccountsFileInput {
  $schema?: string;
  description?: string;
  assets?: Record<string, AssetInput>;
  accounts: AccountInput[];
}

/** An account after validation: ids checked against the market, defaults filled in. */
export interface ParsedAccount {
  id: string;
  mode: MarginMode;
  numeraire: string;
  /** Balances by asset id, in file order. */
  collateral: Map<string, number>;
  cash: number;
  positions: { instrument: string; quantity: number; price?: number }[];
}

/** An account that could not be read: it becomes an error row; the others are unaffected. */
export interface AccountParseError {
  id: string;
  error: string;
}

export type AccountEntry = ParsedAccount | AccountParseError;

export function isAccountError(a: AccountEntry): a is AccountParseError {
  return (a as AccountParseError).error !== undefined;
}

/** A resolved asset. */
export interface AssetSpec {
  id: string;
  /** 'currency': the market's currency (price 1); 'underlying': priced at a spot and shocked; 'fixed': a price from the file. */
  kind: 'currency' | 'underlying' | 'fixed';
  /** Haircut when held in another numeraire; NaN when none was given (then only its own numeraire's accounts may hold it). */
  haircut: number;
  /** Underlying index for kind 'underlying', else -1. */
  underlying: number;
  /** Fixed price for 'currency' (1) and 'fixed'; NaN for 'underlying' (the spot). */
  price: number;
}

/** The assets of an account file (by id), after validation. */
export interface AccountsFile {
  assets: Map<string, AssetSpec>;
  /** The assets as written (for snapshots), keyed by id. */
  assetsInput: Map<string, AssetInput>;
  accounts: AccountEntry[];
}

/** One mode's numbers. */
export interface ModeMargin {
  initialMargin: number;
  maintenanceMargin: number;
  /**
   * What the account can lose (or withdraw) before it falls below its initial requirement; when
   * negative, the deposit a margin call asks for. equity - initialMargin, except in isolated mode,
   * where it is the smallest such amount over the positions (each with its share of the pool).
   */
  excess: number;
  status: AccountStatus;
}

/** An item (position or collateral asset) margined alone: what isolated and cross sum. */
export interface StandaloneCharge {
  /** Instrument id, or `collateral:<asset>`. */
  item: string;
  initialMargin: number;
  /** Isolated mode: the item's share of the pooled collateral plus its own value. */
  isolatedEquity: number;
  isolatedStatus: AccountStatus;
}

/** An account's margin in every mode, all amounts in the account's numeraire. */
export interface AccountMarginOk {
  ok: true;
  account: string;
  mode: MarginMode;
  method: AccountMethod;
  numeraire: string;
  /** The account's status under its own mode. */
  status: AccountStatus;
  equity: number;
  /** Initial and maintenance requirement under the account's mode. */
  initialMargin: number;
  maintenanceMargin: number;
  excess: number;
  /** Sum of balance x price, before haircuts. */
  collateralValue: number;
  /** Sum of (1 - haircut) x balance x price (haircuts apply to positive balances; the numeraire has none). */
  collateralAfterHaircut: number;
  cash: number;
  /** Futures and perpetuals: quantity x (mark - entry), summed. */
  unrealisedPnl: number;
  /** Market value of the option positions. */
  optionValue: number;
  /** Market value of spot-instrument positions. */
  spotValue: number;
  modes: Record<MarginMode, ModeMargin>;
  /** Present when every mode was computed (the report); absent on the book's fast path. */
  standalone?: StandaloneCharge[];
}

export interface AccountMarginError {
  ok: false;
  account: string;
  mode?: MarginMode;
  method: AccountMethod;
  code: ErrorCode;
  message: string;
}

export type AccountMargin = AccountMarginOk | AccountMarginError;

/** The status of an equity against a requirement (docs/accounts.md, "Statuses"). */
export function statusOf(equity: number, initial: number, maintenance: number): AccountStatus {
  if (equity < maintenance) return 'liquidation';
  if (equity < initial) return 'margin_call';
  return 'healthy';
}

const SEVERITY: Record<AccountStatus, number> = { healthy: 0, margin_call: 1, liquidation: 2 };

/** The more severe of two statuses. */
export function worseStatus(a: AccountStatus, b: AccountStatus): AccountStatus {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}
