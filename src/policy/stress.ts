/**
 * The stress floor (docs/methods.md §8): a portfolio's loss in each named stress scenario, the
 * worst one (the largest loss, the first in the block's order on ties), and when the block floors
 * the margin, floor = cover x max(worst loss, 0), binding when it exceeds the method's margin.
 */

/** The index of the worst scenario of a loss vector (the first on ties). */
export function worstScenario(losses: ArrayLike<number>): number {
  let w = 0;
  for (let s = 1; s < losses.length; s++) if (losses[s] > losses[w]) w = s;
  return w;
}

/** The floor of a block with `cover` over a worst loss. */
export function stressFloor(cover: number, worstLoss: number): number {
  return cover * Math.max(worstLoss, 0);
}
