/**
 * From a portfolio as users write it (instrument ids and signed quantities) to what kernels read:
 * instrument indices and quantities, netted per instrument in order of first appearance.
 */
import type { ResolvedMarket } from '../market/types.js';
import { show } from '../errors.js';

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
