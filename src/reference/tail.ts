/**
 * Plain-TypeScript twin of the esTail kernel (assembly/tail.ts), by a full sort: VaR and expected
 * shortfall of scenario losses (docs/methods.md §7, Acerbi-Tasche).
 *
 * k = n (1 - confidence), snapped to the nearest integer when within 1e-9 max(1, k) of it (so that
 * 10000 scenarios at 97.5 % give k = 250 exactly, not 250.00000000000023); with the losses sorted
 * from the largest, L(1) >= L(2) >= ...:
 *   VaR = L(ceil k),   ES = ( sum_{i <= floor k} L(i) + (k - floor k) L(floor k + 1) ) / k.
 */

/** Relative tolerance for snapping k to an integer. */
export const K_SNAP = 1e-9;

/** The tail size k = n (1 - confidence), snapped as described above. */
export function tailSize(n: number, confidence: number): number {
  const k = n * (1 - confidence);
  const kr = Math.round(k);
  return kr >= 1 && Math.abs(k - kr) <= K_SNAP * Math.max(1, k) ? kr : k;
}

export interface TailResult {
  var: number;
  es: number;
  /** The (snapped) tail size. */
  k: number;
  /** ceil(k), clamped to 1..n: the number of scenarios in the tail. */
  m: number;
}

export function esTailRef(losses: ArrayLike<number>, confidence: number): TailResult {
  const n = losses.length;
  if (n < 1 || !(confidence > 0 && confidence < 1)) throw new RangeError('bad tail arguments');
  const sorted = Float64Array.from(losses).sort().reverse();
  if (!sorted.every(Number.isFinite)) throw new RangeError('losses must be finite');
  const k = tailSize(n, confidence);
  const L = (i: number): number => sorted[i - 1]; // 1-based, from the largest
  const m = Math.min(n, Math.max(1, Math.ceil(k)));
  const fk = Math.floor(k);
  let sum = 0;
  for (let i = 1; i <= fk; i++) sum += L(i);
  if (k > fk) sum += (k - fk) * L(fk + 1);
  return { var: L(m), es: sum / k, k, m };
}
