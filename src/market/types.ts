/**
 * The market snapshot as users write it (docs/methods.md §2) and as the engine resolves it.
 * Resolution turns string-keyed JSON into flat typed arrays indexed by position; ids become Maps
 * (never object keys), so ids such as "__proto__" are plain data.
 */
import type { ResolvedSurface } from '../surface/surface.js';
import type { PresetId } from '../results.js';

export interface UnderlyingInput {
  spot: number;
  rate?: number;
  yield?: number;
  vol?: number;
  group?: string;
  /** Implied-vol surface (docs/surfaces.md): options on this underlying without a `vol` read theirs from it. */
  surface?: SurfaceInput;
}

/** An implied-vol surface as users write it (docs/surfaces.md). */
export interface SurfaceInput {
  axis: 'moneyness' | 'strike';
  expiries: string[];
  points: number[];
  /** One row per expiry, one vol per point. */
  vols: number[][];
}

export type InstrumentKind = 'spot' | 'future' | 'perpetual' | 'option';

export interface InstrumentInput {
  kind: InstrumentKind;
  underlying: string;
  contractSize?: number;
  expiry?: string;
  price?: number;
  right?: 'call' | 'put';
  strike?: number;
  vol?: number;
  /** Exercise style, default european; american: Bjerksund-Stensland 2002 (docs/methods.md §3.6). */
  style?: 'european' | 'american';
  settlement?: 'linear' | 'inverse';
  /** An option on a future: the id of the future it is written on (Black-76 on its price; docs/methods.md §3.3). */
  future?: string;
}

/** A basis shift (docs/methods.md §6.10): F' = F (S'/S) e^(+-move max(tau, minYears)). */
export interface BasisInput { move: number; minYears?: number }

/** A grid vol move: a relative move, or { move, skew, min } (docs/methods.md §5.7). */
export type GridVolMoveInput = number | { move: number; skew?: number; min?: number };

export interface GridPointInput { move: number; cover?: number; volMoves?: GridVolMoveInput[] }

export interface GridInput {
  points: GridPointInput[];
  volMoves?: GridVolMoveInput[];
  /** How an option's vol follows a spot move (docs/methods.md §5.7); default sticky-strike. */
  volDynamics?: VolDynamicsName;
  volTerm?: { refDays: number; power: number; floorDays?: number };
  /** Basis and calendar risk (docs/methods.md §6.10): the default for every underlying; underlyings[u].basis overrides it. */
  basis?: BasisInput;
  underlyings?: Record<string, { moveScale?: number; moves?: number[]; basis?: BasisInput }>;
  groups?: Record<string, { offset?: number }>;
  horizonDays?: number;
  shortOptionMinimum?: number;
  longOptionMinimum?: number;
  maintenanceRatio?: number;
  marginMultiplier?: number;
}

export interface EsInput {
  confidence: number;
  horizonDays: number;
  scenarios: number;
  seed?: number;
  distribution?: 'normal' | 'student-t';
  degreesOfFreedom?: number;
  correlations?: [string, string, number][];
  maintenanceRatio?: number;
}

/** A filtered-historical-simulation block (`risk.fhs`) as users write it. */
export interface FhsInput {
  confidence: number;
  horizonDays: number;
  lambda?: number;
  seedReturns?: number;
  horizonMethod?: 'overlapping' | 'sqrt';
  lookback?: number;
  stressedPeriod?: { from: string; to: string };
  maintenanceRatio?: number;
}

/** One named stress scenario as users write it: relative spot and vol moves per underlying. */
export interface StressScenarioInput {
  name: string;
  description?: string;
  spot?: Record<string, number>;
  /** A relative move, or { move, absolute, skew } (docs/methods.md §5.7). */
  vol?: Record<string, number | { move?: number; absolute?: number; skew?: number }>;
  /** Basis moves keyed by underlying: F' = F (S'/S) e^(move max(tau, basisMinYears)) (docs/methods.md §10.1). */
  basis?: Record<string, number>;
}

/** A stress block (`risk.stress`, or a stress file) as users write it. */
export interface StressInput {
  scenarios: StressScenarioInput[];
  /** How an option's vol follows a spot move (docs/methods.md §5.7); default sticky-strike. */
  volDynamics?: VolDynamicsName;
  /** The shortest tenor, in years, of the scenarios' basis moves (docs/methods.md §10.1); default 0. */
  basisMinYears?: number;
  cover?: number;
  floor?: boolean;
  horizonDays?: number;
}

export interface MarketInput {
  asOf: string;
  currency: string;
  underlyings: Record<string, UnderlyingInput>;
  instruments: Record<string, InstrumentInput>;
  risk?: { grid?: GridInput; es?: EsInput; fhs?: FhsInput; stress?: StressInput; [method: string]: unknown };
}

export type { PresetId } from '../results.js';

/** How an option's vol follows a spot move (docs/methods.md §5.7). */
export type VolDynamicsName = 'sticky-strike' | 'sticky-moneyness';

/** A grid block after validation, every default filled in. */
export interface GridSpec {
  /**
   * volMoves[k]: the relative move m of the point's k-th vol move; volSkews[k] and volMins[k] its
   * skew s and minimum vol v (0 when not given), present only when some vol move of the grid is an object.
   */
  points: { move: number; cover: number; volMoves: number[]; volSkews?: number[]; volMins?: number[] }[];
  /** Absent: sticky-strike. */
  volDynamics?: VolDynamicsName;
  /** Per-underlying settings, keyed by underlying id. */
  underlyings: Map<string, { moveScale: number; moves?: number[]; basis?: { move: number; minYears: number } }>;
  /** The default basis shift (docs/methods.md §6.10); absent with no underlying's either: no basis scenarios. */
  basis?: { move: number; minYears: number };
  volTerm?: { refDays: number; power: number; floorDays: number };
  /** Offsets keyed by product group id. */
  groups: Map<string, { offset: number }>;
  horizonDays: number;
  shortOptionMinimum: number;
  longOptionMinimum: number;
  maintenanceRatio: number;
  /** initial = marginMultiplier * the sum of the group charges (an anti-procyclicality buffer), >= 1; absent: 1. */
  marginMultiplier?: number;
  /** The preset this block came from (loadPreset); absent for a market's block or a `--grid` file. */
  preset?: PresetId;
}

/** An ES block after validation, every default filled in. */
export interface EsSpec {
  confidence: number;
  horizonDays: number;
  scenarios: number;
  seed: number;
  distribution: 'normal' | 'student-t';
  degreesOfFreedom: number;
  /** Pairs as given; the matrix is built and checked against the market's underlyings. */
  correlations: [string, string, number][];
  maintenanceRatio: number;
  /** The preset this block came from (loadEsPreset); absent for a market's block. */
  preset?: PresetId;
}

/** An FHS block after validation, every default filled in (see src/market/fhs-spec.ts). */
export interface FhsSpec {
  confidence: number;
  /** Margin period of risk: h consecutive history steps (whole number >= 1); options age h/365 years. */
  horizonDays: number;
  /** EWMA decay in (0, 1]; 1 keeps the seed variance for ever (plain historical simulation). */
  lambda: number;
  /** Returns whose mean square seeds the EWMA variance; they are not scenarios themselves. */
  seedReturns: number;
  /** h-day returns as overlapping sums of h filtered daily returns, or sqrt(h) times one. */
  horizonMethod: 'overlapping' | 'sqrt';
  /** Most recent filtered scenarios used; undefined: every one the history gives. */
  lookback?: number;
  /** Dates (YYYY-MM-DD, inclusive) whose unfiltered scenarios are always added. */
  stressedPeriod?: { from: string; to: string };
  maintenanceRatio: number;
  /** The preset this block came from (loadFhsPreset); absent for a market's block. */
  preset?: PresetId;
}

/** One named stress scenario after validation: moves keyed by underlying id. */
export interface StressScenarioSpec {
  name: string;
  /** S' = S (1 + move). */
  spot: Map<string, number>;
  /** vol' = vol (1 + move) + absolute + skew ln(K / F) for every option on the underlying (no tenor weighting). */
  vol: Map<string, number>;
  /** The absolute and skew parts of the vol moves given as objects (docs/methods.md §5.7); absent: none. */
  volAbsolute?: Map<string, number>;
  volSkew?: Map<string, number>;
  /** Basis moves: F' = F (S'/S) e^(move max(tau, basisMinYears)); absent: none. */
  basis?: Map<string, number>;
}

/** A stress block after validation (see src/market/stress-spec.ts). */
export interface StressSpec {
  scenarios: StressScenarioSpec[];
  /** The floor is cover * max(worst stress loss, 0). */
  cover: number;
  /** Whether the floor applies to the initial margin (otherwise stress losses are only reported). */
  floor: boolean;
  /** Years options age before revaluation, times 365. */
  horizonDays: number;
  /** Absent: sticky-strike. */
  volDynamics?: VolDynamicsName;
  /** The shortest tenor of the basis moves, in years (0 when not given). */
  basisMinYears?: number;
}

export interface ResolvedUnderlyings {
  ids: string[];
  index: Map<string, number>;
  spot: Float64Array;
  rate: Float64Array;
  yield: Float64Array;
  /** Annualised vol of the underlying's returns (simulation methods); NaN when not given. */
  vol: Float64Array;
  /**
   * Annualised vol of the log of the underlying's implied vols (docs/methods.md §8.2: es moves
   * its options' vols); NaN when not given. A market loaded from JSON always has it.
   */
  volOfVol?: Float64Array;
  /** Index into ResolvedMarket.groups.ids. */
  group: Int32Array;
  /**
   * surface[u]: underlying u's implied-vol surface (docs/surfaces.md), undefined without one;
   * present only when some underlying has a surface.
   */
  surface?: (ResolvedSurface | undefined)[];
}

export interface ResolvedInstruments {
  ids: string[];
  index: Map<string, number>;
  /** KIND_* code from src/layout.ts: spot, linear (future/perpetual), call, put. */
  kind: Int32Array;
  /** The user's kind, for reports. */
  inputKind: InstrumentKind[];
  underlying: Int32Array;
  contractSize: Float64Array;
  /** Option strike (0 otherwise). */
  strike: Float64Array;
  /** Year fraction to expiry, ACT/365F from asOf; may be <= 0 (expired option: intrinsic). 0 for spot/perpetual. */
  T: Float64Array;
  /** Option implied vol (0 otherwise). */
  vol: Float64Array;
  /** Reference price F of a future or perpetual (0 otherwise). */
  refPrice: Float64Array;
  /**
   * inverse[i] = 1 when instrument i settles inverse (in its coin, `"settlement": "inverse"`);
   * present only when the snapshot holds at least one. The run methods (grid, es, fhs) margin in
   * the market's currency and refuse a portfolio holding one (an error row); the account layer
   * margins them in a coin-margined account.
   */
  inverse?: Uint8Array;
  /**
   * volFromSurface[i] = 1 when option i gave no `vol` and took it from its underlying's surface at
   * its strike and expiry; present only when some option did.
   */
  volFromSurface?: Uint8Array;
  /**
   * future[i] = the index of the future option i is written on (Black-76 on that future's price:
   * in the table its spot column holds the future's price and its yield column the rate), -1 for
   * an option on the spot and every other instrument; present only when some option names one.
   */
  future?: Int32Array;
  /** american[i] = 1 for an American option (`"style": "american"`); present only when some option is. */
  american?: Uint8Array;
}

export interface ResolvedMarket {
  asOf: string;
  /** asOf in ms since the epoch. */
  asOfMs: number;
  currency: string;
  underlyings: ResolvedUnderlyings;
  groups: { ids: string[]; index: Map<string, number> };
  instruments: ResolvedInstruments;
  /** The instrument table in kernel layout: NCOLS columns of n f64 (src/layout.ts). */
  table: Float64Array;
  risk: { grid?: GridSpec; es?: EsSpec; fhs?: FhsSpec; stress?: StressSpec };
  /** Where the market came from, for messages ("market.json"). */
  source: string;
}

/** A market as the account layer takes it (parseAccountMarket): the resolved market and which instruments settle inverse. */
export interface AccountMarket {
  market: ResolvedMarket;
  /** inverse[i] = 1 when instrument i (market index) settles in its coin: the loader's `instruments.inverse` (all 0 when absent). */
  inverse: Uint8Array;
  /** The snapshot as written (for snapshots of a book); undefined when built from a resolved market. */
  input?: MarketInput;
}
