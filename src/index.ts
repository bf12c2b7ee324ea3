/**
 * margin-engine: risk-based margin for portfolios of derivatives.
 *
 * Three levels of API, each built on the one below:
 * 1. kernels: WebAssembly functions over memory the host lays out (src/kernels, src/wasm);
 * 2. models: a market with its scenario set and P&L cube built once, margining one portfolio
 *    synchronously in-process (createGridModel, createEsModel);
 * 3. batch: many portfolios over a worker pool (src/batch).
 */
export { InputError, isInputError, type ErrorCode } from './errors.js';
export type {
  MarketInput, UnderlyingInput, InstrumentInput, InstrumentKind, GridInput, GridPointInput, EsInput,
  ResolvedMarket, ResolvedInstruments, ResolvedUnderlyings, GridSpec, EsSpec,
  FhsInput, FhsSpec, StressInput, StressScenarioInput, StressSpec, StressScenarioSpec, PresetId,
} from './market/types.js';
export { parseMarket, resolveMarket } from './market/load.js';
export { validateGrid } from './market/grid-spec.js';
export { validateEs } from './market/es-spec.js';
export { parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson } from './portfolio/read.js';
export type { ParsedPortfolio, ParsedPosition } from './portfolio/types.js';
export type { Position, PortfolioInput } from './portfolio/resolve.js';
export type { MarginModel, PortfolioLike } from './models/model.js';
export type {
  MarginResult, MarginOk, MarginError, GroupCharge, Method, StressResult, PositionShare, ShareBasis,
} from './results.js';
export { isMarginError } from './results.js';
export { GridModel, createGridModel, type GridModelOptions } from './models/grid.js';
export { EsModel, TailModel, createEsModel, type EsModelOptions } from './models/tail.js';
export { buildGridScenarios, tenorWeight, type GridScenarioSet } from './scenarios/grid.js';
export type { ScenarioSet } from './scenarios/types.js';
export { buildCube, cubeView, type Cube } from './cube/cube.js';
export { valueMarket, type Valuation } from './valuation.js';
export { loadPreset, presetNames, presetVersion } from './presets.js';
export { formatResults, csvHeader, csvRow, ndjsonRow } from './io/output.js';
export { Arena } from './wasm/arena.js';
export { compiledModule, instantiateKernels, type KernelExports } from './wasm/module.js';

// Any method chosen by the caller, with stress scenarios and Euler allocation.
export { createMarginModel, StressedModel, type MarginModelOptions } from './models/create.js';
export { validateStress } from './market/stress-spec.js';
export { StressTest, createStressTest, type StressTestOptions } from './models/stress.js';
export { buildStressScenarios, type StressScenarioSet } from './scenarios/stress.js';
export { buildFhsScenarios, type FhsScenarioSet } from './scenarios/fhs.js';
export type { TailStats } from './kernels/es.js';
export { FhsModel, createFhsModel, type FhsModelOptions } from './models/fhs.js';
export { validateFhs } from './market/fhs-spec.js';
export { parseHistoryCsv, alignHistory, type PriceHistory, type AlignedHistory } from './history/parse.js';
export { logReturns, ewmaFilter, type EwmaFilter } from './history/ewma.js';
export { withAllocation, AllocatingModel } from './models/allocation.js';
export { tailShares, gridShares, stressShares } from './policy/allocation.js';
export { methodPresetNames, loadEsPreset, loadFhsPreset, loadMethodPreset } from './presets.js';

// Accounts: collateral, margin modes, the continuous margin book.
export { parseAccountMarket, resolveAccountMarket, linearMarket, type AccountMarket } from './accounts/market.js';
export { parseAccounts, resolveAccounts } from './accounts/parse.js';
export { marginAccounts, type AccountMarginOptions } from './accounts/margin.js';
export { formatAccounts } from './accounts/report.js';
export type {
  MarginMode, AccountStatus, AccountInput, AccountsFile, AccountsFileInput, AccountMargin, AccountMarginOk, AccountMarginError, ModeMargin,
} from './accounts/types.js';
export { MarginBook, type StatusChange, type WhatIfResult, type ApplyResult } from './book/book.js';
export { parseEvent, parseEventLine, type BookEvent, type Order } from './book/events.js';
export { replay, type ReplaySummary } from './book/replay.js';

// Dynamic initial margin.
export {
  calibrate, calibratedMarket, formatReport, resolveSettings,
  type CalibrationInput, type CalibrationOptions, type CalibrationResult, type ApcMethod, type GridSource,
} from './dim/calibrate.js';

// Batch: many portfolios over a worker pool (its own, or the application's Piscina pool), the cube
// built once in shared memory, input streamed in and rows streamed out in order.
export {
  BatchEngine, createBatchEngine, workerFile,
  type BatchEngineOptions, type BatchRunOptions, type BatchProgress, type BatchSummary, type BatchTimings,
  type BatchInput, type StopPoint, type BatchMethod, type MarginTaskResult,
} from './batch/engine.js';

// Backtesting: current positions over a price history, the statistics clearing houses report.
export {
  runBacktest, backtestWorkerFile,
  type BacktestOptions, type BacktestReport, type PortfolioBacktest, type BookBacktest,
} from './backtest/run.js';
export { formatBacktest, formatTimeline, timelineChunks, BACKTEST_COLUMNS, TIMELINE_COLUMNS } from './backtest/format.js';
export {
  backtestStats, bookStats, kupiec, christoffersen, conditionalCoverage, transitions, trafficLight, zoneBoundaries, binomialCdf,
  maxRise, peakToTrough,
  type BacktestStats, type StatsResult, type BookResult, type PortfolioSeries, type Transitions, type LrTest, type Zone,
} from './backtest/stats.js';
