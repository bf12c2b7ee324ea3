/**
 * From a portfolio as users write it (instrument ids and signed quantities) to what kernels read:
 * instrument indices and quantities, netted per instrument in order of first appearance.
 */
import type { ResolvedMarket } from '../market/types.js';
import { InputError, show } from '../errors.js';

export interface Position {
  instrument: string;
  quantity: number;
}

export interface PortfolioInput {
  id: string;
  positions: readonly Position[];
}

export interface ResolvedPositions {
  /** Instrument index of each netted position. */
  instr: Int32Array;
  /** Net signed quantity (contracts). */
  qty: Float64Array;
}

/** Resolves and nets positions; returns an error message (one line) for the first bad one. */
export function resolvePositions(market: ResolvedMarket, positions: readonly Position[]): ResolvedPositions | string {
  const index = market.instruments.index;
  const slotOf = new Map<number, number>();
  const instr: number[] = [];
  const qty: number[] = [];
  for (let p = 0; p < positions.length; p++) {
    const pos = positions[p];
    const id = pos?.instrument;
    if (typeof id !== 'string') return `position ${p + 1}: instrument ${show(id)} is not a string`;
    const i = index.get(id);
    if (i === undefined) return `unknown instrument ${show(id)}`;
    const q = pos.quantity;
    if (typeof q !== 'number' || !Number.isFinite(q)) {
      return `position ${p + 1} (${JSON.stringify(id)}): quantity ${show(q)} is not a finite number`;
    }
    const slot = slotOf.get(i);
    if (slot === undefined) { slotOf.set(i, instr.length); instr.push(i); qty.push(q); }
    else qty[slot] += q;
  }
  return { instr: Int32Array.from(instr), qty: Float64Array.from(qty) };
}

/**
 * A portfolio object as the API receives it, checked: its usable form (positions an array of
 * { instrument: string, quantity: finite number }), or an `{ id, error }` entry saying why it is
 * not (the entry a file reader makes of a bad row), so that it becomes an error result (code
 * E_PORTFOLIO) and never throws. An id that is not a string gives the id ''.
 */
export type CheckedPortfolio =
  | { id: string; positions: readonly Position[]; error?: undefined }
  | { id: string; error: string; positions?: undefined };

const PORTFOLIO_TEXT = 'an object such as { "id": "P1", "positions": [{ "instrument": "BTC-PERP", "quantity": -2 }] }';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Why portfolio object `p` cannot be margined (one line), or undefined when it can. With `deep`
 * false only the portfolio itself is checked (an object, a string id, an `error` string or a
 * `positions` array), not each position. A portfolio with an `error` string (a reader's entry for
 * rows it could not use) has that reason.
 */
export function portfolioProblem(p: unknown, deep = true): string | undefined {
  if (!isRecord(p)) return `a portfolio must be ${PORTFOLIO_TEXT}, got ${show(p)}`;
  const id = p.id;
  if (typeof id !== 'string') return `id: expected a string, got ${show(id)}`;
  const error = p.error;
  if (error !== undefined) return typeof error === 'string' ? error : `error: expected a string (why the portfolio is unusable), got ${show(error)}`;
  const positions = p.positions;
  if (!Array.isArray(positions)) return `positions: expected a list of positions such as [{ "instrument": "BTC-PERP", "quantity": -2 }], got ${show(positions)}`;
  return deep ? positionsProblem(positions) : undefined;
}

/** Why a list of positions cannot be margined (the first bad position, one line), or undefined. */
export function positionsProblem(positions: readonly unknown[]): string | undefined {
  for (let k = 0; k < positions.length; k++) {
    const pos = positions[k];
    if (!isRecord(pos)) return `position ${k + 1}: expected an object { instrument, quantity }, got ${show(pos)}`;
    const id = pos.instrument;
    if (typeof id !== 'string') return `position ${k + 1}: instrument ${show(id)} is not a string`;
    const q = pos.quantity;
    if (typeof q !== 'number' || !Number.isFinite(q)) return `position ${k + 1} (${show(id)}): quantity ${show(q)} is not a finite number`;
  }
  return undefined;
}

/** The checked form of one portfolio object (itself when it is usable). */
export function checkPortfolio(p: unknown): CheckedPortfolio {
  const problem = portfolioProblem(p);
  if (problem === undefined) return p as CheckedPortfolio;
  const id = isRecord(p) && typeof p.id === 'string' ? p.id : '';
  return { id, error: problem };
}

/**
 * Portfolio objects grouped by id, as a portfolio file is: one entry per id at its first
 * appearance, the positions of every object with that id together in input order (so two objects
 * with one id are margined as one portfolio). Every entry is checked (checkPortfolio): an id with
 * an unusable object is one error entry naming which of its objects; an object without a string
 * id (or not an object) is an error entry of its own, where it stands, naming its place in the
 * input. Throws InputError when `items` is not iterable.
 */
export function groupPortfolios(items: Iterable<unknown>): CheckedPortfolio[] {
  if (items === null || typeof (items as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new InputError(`portfolios: expected a list (an iterable) of portfolio objects, got ${show(items)}`, { path: 'portfolios' });
  }
  const grouper = new PortfolioGrouper();
  for (const p of items) grouper.add(p);
  return grouper.done();
}

/** groupPortfolios over an iterable or async iterable; `stop()` true ends the input early. */
export async function* groupPortfoliosAsync(
  items: Iterable<unknown> | AsyncIterable<unknown>, stop: () => boolean = () => false,
): AsyncGenerator<CheckedPortfolio> {
  const it = items as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (it === null || typeof it !== 'object' || (typeof it[Symbol.iterator] !== 'function' && typeof it[Symbol.asyncIterator] !== 'function')) {
    throw new InputError(`input: expected a byte stream or portfolio objects (an iterable or async iterable), got ${show(items)}`, { path: 'input' });
  }
  const grouper = new PortfolioGrouper();
  for await (const p of items) {
    if (stop()) break;
    grouper.add(p);
  }
  yield* grouper.done();
}

/** Groups portfolio objects by id (see groupPortfolios). */
class PortfolioGrouper {
  /** Per entry: the objects with its id (one object: no copy is made). */
  private readonly entries: (unknown[] | CheckedPortfolio)[] = [];
  private readonly byId = new Map<string, unknown[]>();
  private items = 0;

  add(p: unknown): void {
    this.items++;
    const id = isRecord(p) ? p.id : undefined;
    if (typeof id !== 'string') {
      this.entries.push({ id: '', error: `portfolio ${this.items} of the input: ${portfolioProblem(p)}` });
      return;
    }
    const same = this.byId.get(id);
    if (same !== undefined) { same.push(p); return; }
    const group = [p];
    this.byId.set(id, group);
    this.entries.push(group);
  }

  done(): CheckedPortfolio[] {
    return this.entries.map((e) => (Array.isArray(e) ? merge(e) : e));
  }
}

function merge(objects: unknown[]): CheckedPortfolio {
  if (objects.length === 1) return checkPortfolio(objects[0]);
  const id = (objects[0] as { id: string }).id;
  const positions: Position[] = [];
  for (let k = 0; k < objects.length; k++) {
    const problem = portfolioProblem(objects[k]);
    if (problem !== undefined) {
      return { id, error: `${problem} (object ${k + 1} of the ${objects.length} with the id ${show(id)})` };
    }
    for (const pos of (objects[k] as { positions: readonly Position[] }).positions) positions.push(pos);
  }
  return { id, positions };
}
