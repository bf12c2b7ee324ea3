/**
 * A margin model whose results carry the Euler allocation (src/policy/allocation.ts) of the initial
 * margin over each portfolio's netted positions (`result.allocation`, in order of first appearance
 * of the instrument): a ComposedModel with allocation on.
 */
import { InputError, show } from '../errors.js';
import { GridModel } from './grid.js';
import { TailModel } from './tail.js';
import { ComposedModel } from './compose.js';

/** The allocating model (a ComposedModel; the name is kept for the API). */
export const AllocatingModel = ComposedModel;
export type AllocatingModel = ComposedModel;

/** Wraps a grid, es or fhs model so that every ok result carries its allocation. */
export function withAllocation(model: GridModel | TailModel): ComposedModel {
  if (!(model instanceof GridModel) && !(model instanceof TailModel)) {
    throw new InputError(`withAllocation: expected a grid, es or fhs model (createGridModel, createEsModel, createFhsModel), got ${show(model)}`);
  }
  return new ComposedModel(model, { allocation: true });
}
