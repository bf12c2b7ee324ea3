/**
 * The one netting function: a portfolio's positions (instrument ids, signed quantities) to netted
 * positions (instrument indices of the market, quantities summed per instrument in order of first
 * appearance), into arrays reused between calls. Every model nets a portfolio once here, however
 * many parts (method, stress, allocation) its margin has (docs/methods.md §3).
 */
import type { ResolvedMarket } from '../market/types.js';
import type { ErrorCode } from '../errors.js';
import { portfolioProblem, positionsProblem, resolvePositions, type Position } from './resolve.js';

/** Why a portfolio cannot be netted: the result's code and message. */
export interface NetProblem {
  id: string;
  code: ErrorCode;
  message: string;
}

export class Netter {
  /** The netted positions of the last net() call: instr[0..n), qty[0..n) (views, valid until the next call). */
  instr: Int32Array = new Int32Array(16);
  qty: Float64Array = new Float64Array(16);
  /** Per instrument: its slot among the netted positions, -1 when absent (reset after each call). */
  private readonly slotOf: Int32Array;

  constructor(readonly market: ResolvedMarket) {
    this.slotOf = new Int32Array(market.instruments.ids.length).fill(-1);
  }

  /**
   * Nets `portfolio`: returns the number n of netted positions (in this.instr, this.qty), or the
   * problem that makes it an error result: E_PORTFOLIO for an object that is not a portfolio or a
   * bad position, E_UNKNOWN_INSTRUMENT for an instrument id the market lacks. Never throws.
   */
  net(portfolio: unknown): number | NetProblem {
    const problem = portfolioProblem(portfolio, false);
    if (problem !== undefined) return { id: idOf(portfolio), code: 'E_PORTFOLIO', message: problem };
    const p = portfolio as { id: string; positions: readonly Position[] };
    const n = this.netFast(p.positions);
    if (n >= 0) return n;
    const bad = positionsProblem(p.positions);
    if (bad !== undefined) return { id: p.id, code: 'E_PORTFOLIO', message: bad };
    const resolved = resolvePositions(this.market, p.positions);
    if (typeof resolved === 'string') return { id: p.id, code: 'E_UNKNOWN_INSTRUMENT', message: resolved };
    // Not reached (netFast refuses exactly what the two checks above refuse); kept total.
    this.instr = resolved.instr;
    this.qty = resolved.qty;
    return resolved.instr.length;
  }

  /**
   * resolvePositions into the reused arrays (same indices, same netting, quantities summed in the
   * same order), without allocating; -1 at the first position resolvePositions would refuse.
   */
  private netFast(positions: readonly Position[]): number {
    const index = this.market.instruments.index, slotOf = this.slotOf;
    if (positions.length > this.instr.length) {
      this.instr = new Int32Array(positions.length * 2);
      this.qty = new Float64Array(positions.length * 2);
    }
    const instr = this.instr, qty = this.qty;
    let n = 0, bad = false;
    for (let p = 0; p < positions.length; p++) {
      const pos = positions[p];
      const key = pos?.instrument;
      const i = typeof key === 'string' ? index.get(key) : undefined;
      const q = pos?.quantity;
      if (i === undefined || typeof q !== 'number' || !Number.isFinite(q)) { bad = true; break; }
      const slot = slotOf[i];
      if (slot < 0) { slotOf[i] = n; instr[n] = i; qty[n] = q; n++; } else qty[slot] += q;
    }
    for (let k = 0; k < n; k++) slotOf[instr[k]] = -1;
    return bad ? -1 : n;
  }
}

/** The id of a portfolio object ('' when it has no string id). */
export function idOf(p: unknown): string {
  return typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string' ? (p as { id: string }).id : '';
}
