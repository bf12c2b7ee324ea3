/**
 * A snapshot of an account's state: what trades on some instruments can change, saved so that a
 * what-if can apply them, evaluate the account and put it back as it was.
 */
import type { AccountState, Position } from './state.js';

/** What trades on some instruments can change in an account: rows, short option units, W, cash and those positions. */
export interface SavedAccount {
  nRows: number;
  rowU: Int32Array;
  rows: Float64Array;
  rowOf: Int32Array;
  optShort: Float64Array;
  W: number;
  cash: number;
  /** The saved positions: engine index and the position (undefined when absent). */
  es: number[];
  positions: (Position | undefined)[];
}

/**
 * Saves what trades on instruments `es` can change (a what-if applies them, evaluates, restores).
 * `keep` is reused when large enough. Balances are not saved: trades do not touch them.
 */
export function saveAccount(a: AccountState, stride: number, es: readonly number[], keep?: SavedAccount): SavedAccount {
  const n = a.nRows;
  const s = keep && keep.rows.length >= a.rows.length && keep.rowU.length >= a.rowU.length && keep.rowOf.length === a.rowOf.length
    && keep.optShort.length === a.optShort.length
    ? keep
    : {
      nRows: 0, rowU: new Int32Array(a.rowU.length), rows: new Float64Array(a.rows.length), rowOf: new Int32Array(a.rowOf.length),
      optShort: new Float64Array(a.optShort.length), W: 0, cash: 0, es: [], positions: [],
    };
  s.nRows = n;
  for (let r = 0; r < n; r++) s.rowU[r] = a.rowU[r];
  const len = n * stride, src = a.rows, dst = s.rows;
  for (let i = 0; i < len; i++) dst[i] = src[i];
  s.rowOf.set(a.rowOf);
  s.optShort.set(a.optShort);
  s.W = a.W;
  s.cash = a.cash;
  s.es.length = 0;
  s.positions.length = 0;
  for (const e of es) { s.es.push(e); s.positions.push(a.positions.get(e)); }
  return s;
}

/** Puts back what saveAccount saved. */
export function restoreAccount(a: AccountState, s: SavedAccount, stride: number): void {
  const n = s.nRows;
  a.nRows = n;
  for (let r = 0; r < n; r++) a.rowU[r] = s.rowU[r];
  const len = n * stride, src = s.rows, dst = a.rows;
  for (let i = 0; i < len; i++) dst[i] = src[i];
  a.rowOf.set(s.rowOf);
  a.optShort.set(s.optShort);
  a.W = s.W;
  a.cash = s.cash;
  for (let k = s.es.length - 1; k >= 0; k--) {
    const p = s.positions[k];
    if (p === undefined) a.positions.delete(s.es[k]); else a.positions.set(s.es[k], p);
  }
}
