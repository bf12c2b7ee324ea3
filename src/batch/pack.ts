/**
 * Cutting a stream of portfolios into tasks: each portfolio is resolved against the market and its
 * positions netted (instrument indices and quantities, as resolvePositions does) into the task's
 * typed arrays; portfolios that cannot be margined (unreadable, unknown instrument) become error
 * results on the spot and never travel. A task is cut when it holds enough work to amortise the
 * cost of a task (tens of microseconds of messaging) many times over.
 */
import type { ResolvedMarket } from '../market/types.js';
import type { MarginError, Method } from '../results.js';
import type { ParsedPortfolio } from '../portfolio/types.js';
import type { PortfolioLike } from '../models/model.js';
import { resolvePositions } from '../portfolio/resolve.js';
import { show } from '../errors.js';

/** A task's portfolios on the main thread, and what goes to the worker. */
export interface PackedTask {
  /** Task number in the run (0-based). */
  index: number;
  /** Per portfolio of the task, in output order. */
  ids: string[];
  /** Reader sequence number of each portfolio (-1 for a row the stream inserted, see BatchEngine). */
  seqs: number[];
  /** Its index among the worker's portfolios, or -1 when it is an error decided here. */
  slots: Int32Array;
  preErrors: Map<number, MarginError>;
  /** The worker's part: n portfolios, positions offsets[p] .. offsets[p+1]-1. */
  n: number;
  offsets: Int32Array;
  instr: Int32Array;
  qty: Float64Array;
  /** Input positions (before netting), for progress. */
  positions: number;
  /** The highest reader seq added to the packer when the task was cut. */
  lastSeq: number;
}

export interface PackerOptions {
  /** Cut a task when positions x stride + portfolios x stride reaches this (default: 2^19 for the grid, 2^23 for es). */
  taskWork?: number;
  /** Cut a task at this many portfolios whatever the work (default 20,000). */
  maxPortfolios?: number;
}

export class TaskPacker {
  private readonly index: Map<string, number>;
  private readonly slotOf: Int32Array;
  private readonly workTarget: number;
  private readonly maxPortfolios: number;
  private tasks = 0;
  private ids: string[] = [];
  private seqs: number[] = [];
  private slots: number[] = [];
  private preErrors = new Map<number, MarginError>();
  private offsets: number[] = [0];
  private instr = new Int32Array(1024);
  private qty = new Float64Array(1024);
  private nPos = 0;
  private inputPositions = 0;
  private work = 0;
  /** The highest reader seq added so far (-1: none). */
  lastSeq = -1;

  constructor(private readonly market: ResolvedMarket, private readonly method: Method, private readonly stride: number,
    options: PackerOptions = {}) {
    this.index = market.instruments.index;
    this.slotOf = new Int32Array(market.instruments.ids.length).fill(-1);
    // An ES unit (one position in one of 10,000s of scenarios: a cube too large for the caches, then
    // the tail) costs several grid units (a cube of ~30 scenarios in cache); measured on the example
    // market, 10-position portfolios on 2 workers: 2^19 gave 5 portfolios (0.3 ms) a task and 1.1x
    // from the second thread, 2^22 1.5x, 2^23 (~5 ms a task) 1.7x, 2^24 no better.
    this.workTarget = options.taskWork ?? (method === 'grid' ? 1 << 19 : 1 << 23);
    this.maxPortfolios = options.maxPortfolios ?? 20_000;
  }

  /** Portfolios in the task being filled. */
  get pending(): number { return this.ids.length; }
  /** The market index of an instrument id, -1 when unknown: a resolver for the CSV reader (options.resolve). */
  readonly resolve = (instrument: string): number => this.index.get(instrument) ?? -1;

  /** Whether the task being filled should be cut. */
  get full(): boolean { return this.work >= this.workTarget || this.ids.length >= this.maxPortfolios; }

  /** The first portfolio id of the task being filled (where a stopped run would resume). */
  get firstPending(): string | undefined { return this.ids[0]; }

  /** Adds a portfolio as a reader emitted it (columns, positions or an error). */
  add(seq: number, p: ParsedPortfolio | PortfolioLike): void {
    if (p.positions === undefined) {
      this.error(seq, p.id, 'E_PORTFOLIO', p.error);
      return;
    }
    const cols = (p as ParsedPortfolio).columns;
    if (cols !== undefined) this.addColumns(seq, p.id, cols.instruments, cols.quantities, cols.codes);
    else this.addPositions(seq, p as PortfolioLike & { positions: NonNullable<PortfolioLike['positions']> });
  }

  /** An error row of its own (a portfolio the reader could not use, or a row inserted by the stream). */
  error(seq: number, id: string, code: MarginError['code'], message: string): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    const k = this.ids.length;
    this.ids.push(id);
    this.seqs.push(seq);
    this.slots.push(-1);
    this.preErrors.set(k, { ok: false, portfolio: id, method: this.method, code, message });
  }

  /**
   * Positions read by the CSV reader: instrument ids (strings) and finite quantities. Resolved and
   * netted exactly as resolvePositions does (first unknown instrument is the error; one position
   * per instrument, in order of first appearance, quantities summed in file order), without its
   * per-portfolio allocations.
   */
  private addColumns(seq: number, id: string, instruments: readonly string[], quantities: readonly number[], codes?: readonly number[]): void {
    const n = instruments.length;
    this.reserve(this.nPos + n);
    const start = this.nPos;
    const slotOf = this.slotOf, instr = this.instr, qty = this.qty;
    let end = start, unknown: string | undefined;
    for (let k = 0; k < n; k++) {
      const i = codes !== undefined ? codes[k] : this.index.get(instruments[k]) ?? -1;
      if (i < 0) { unknown = instruments[k]; break; }
      const slot = slotOf[i];
      if (slot >= 0) qty[slot] += quantities[k];
      else { slotOf[i] = end; instr[end] = i; qty[end] = quantities[k]; end++; }
    }
    for (let k = start; k < end; k++) slotOf[instr[k]] = -1;
    if (unknown !== undefined) {
      this.error(seq, id, 'E_UNKNOWN_INSTRUMENT', `unknown instrument ${show(unknown)}`);
      return;
    }
    this.commit(seq, id, end, n);
  }

  /**
   * Positions as the CSV reader's sink gives them: codes[k] the market index of instruments[k]
   * (-1: unknown), quantities[k], k < n. Resolved and netted as addColumns does.
   */
  addResolved(seq: number, id: string, codes: Int32Array, instruments: readonly string[], quantities: Float64Array, n: number): void {
    this.reserve(this.nPos + n);
    const start = this.nPos;
    const slotOf = this.slotOf, instr = this.instr, qty = this.qty;
    let end = start, unknown = -1;
    for (let k = 0; k < n; k++) {
      const i = codes[k];
      if (i < 0) { unknown = k; break; }
      const slot = slotOf[i];
      if (slot >= 0) qty[slot] += quantities[k];
      else { slotOf[i] = end; instr[end] = i; qty[end] = quantities[k]; end++; }
    }
    for (let k = start; k < end; k++) slotOf[instr[k]] = -1;
    if (unknown >= 0) {
      this.error(seq, id, 'E_UNKNOWN_INSTRUMENT', `unknown instrument ${show(instruments[unknown])}`);
      return;
    }
    this.commit(seq, id, end, n);
  }

  /** Positions as objects (API input, NDJSON): resolvePositions itself. */
  private addPositions(seq: number, p: { id: string; positions: PortfolioLike['positions'] & object }): void {
    const r = resolvePositions(this.market, p.positions);
    if (typeof r === 'string') {
      this.error(seq, p.id, 'E_UNKNOWN_INSTRUMENT', r);
      return;
    }
    const n = r.instr.length;
    this.reserve(this.nPos + n);
    this.instr.set(r.instr, this.nPos);
    this.qty.set(r.qty, this.nPos);
    this.commit(seq, p.id, this.nPos + n, p.positions.length);
  }

  private commit(seq: number, id: string, end: number, inputPositions: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.ids.push(id);
    this.seqs.push(seq);
    this.slots.push(this.offsets.length - 1);
    this.offsets.push(end);
    this.work += (end - this.nPos + 1) * this.stride;
    this.nPos = end;
    this.inputPositions += inputPositions;
  }

  private reserve(n: number): void {
    if (n <= this.instr.length) return;
    const cap = Math.max(n, this.instr.length * 2);
    const instr = new Int32Array(cap), qty = new Float64Array(cap);
    instr.set(this.instr.subarray(0, this.nPos));
    qty.set(this.qty.subarray(0, this.nPos));
    this.instr = instr;
    this.qty = qty;
  }

  /** Cuts the task being filled (undefined when it is empty) and starts a new one. */
  take(): PackedTask | undefined {
    if (this.ids.length === 0) return undefined;
    const t: PackedTask = {
      index: this.tasks++,
      ids: this.ids, seqs: this.seqs, slots: Int32Array.from(this.slots), preErrors: this.preErrors,
      n: this.offsets.length - 1, offsets: Int32Array.from(this.offsets),
      instr: this.instr.slice(0, this.nPos), qty: this.qty.slice(0, this.nPos),
      positions: this.inputPositions, lastSeq: this.lastSeq,
    };
    this.ids = [];
    this.seqs = [];
    this.slots = [];
    this.preErrors = new Map();
    this.offsets = [0];
    this.nPos = 0;
    this.inputPositions = 0;
    this.work = 0;
    return t;
  }
}
