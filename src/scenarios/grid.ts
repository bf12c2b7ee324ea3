/**
 * The scenario set of a grid (docs/methods.md §6.2): one scenario per (point, vol move) pair,
 * points in order, each point's vol moves in order. A vol move with a skew or a minimum, or
 * volDynamics sticky-moneyness, gives the set vol dynamics (docs/methods.md §5.7).
 */
import { InputError } from '../errors.js';
import { KIND_CALL, KIND_PUT } from '../layout.js';
import type { GridSpec, ResolvedMarket } from '../market/types.js';
import { checkCubeSize, paddedStride, type ScenarioSet } from './types.js';
import { pow } from '../math/pow.js';
import { checkMarket, given, gridOption } from '../options.js';

export interface GridScenarioSet extends ScenarioSet {
  nPoints: number;
  /** point[s]: the grid point of scenario s. */
  point: Int32Array;
  /** cover[j] of point j. */
  cover: Float64Array;
  /** The vol move (before tenor weighting) of scenario s, the same for every underlying. */
  volMove: Float64Array;
}

/**
 * Tenor weight of the vol shock, `(refDays / max(floorDays, 365 T))^power`, 1 without volTerm; the
 * power by src/math/pow.ts (not Math.pow, whose last bit depends on the Node version).
 */
export function tenorWeight(spec: GridSpec, T: number): number {
  const vt = spec.volTerm;
  if (!vt) return 1;
  return pow(vt.refDays / Math.max(vt.floorDays, 365 * T), vt.power);
}

/**
 * Builds the grid's scenarios for a market. Throws InputError when a point has no vol move, an
 * underlying's move list has the wrong length, a spot would not stay > 0, or a shocked option vol
 * would not stay > 0 (docs/methods.md §6.2 rejects such a market).
 */
export function buildGridScenarios(market: ResolvedMarket, spec: GridSpec, path = 'risk.grid'): GridScenarioSet {
  checkMarket(market, 'buildGridScenarios');
  spec = gridOption(spec, market, 'spec');
  if (typeof path !== 'string') throw new InputError(`buildGridScenarios: path: expected the grid's JSON path (a string), got ${given(path)}`, { path: 'path' });
  const src = market.source;
  const und = market.underlyings;
  const nU = und.ids.length;
  const nPoints = spec.points.length;
  // Basis and calendar risk (docs/methods.md §6.10): each (point, vol move) pair is also evaluated
  // with every forward shifted up and down; the shift 0 comes first (the first worst on ties).
  const withBasis = spec.basis !== undefined || [...spec.underlyings.values()].some((e) => e.basis !== undefined);
  const shifts = withBasis ? [0, 1, -1] : [0];
  checkCubeSize(market, spec.points.reduce((k, p) => k + p.volMoves.length, 0) * shifts.length, `${path}.points`);
  const pointOf: number[] = [];
  const moveOf: number[] = [];
  const skewOf: number[] = [];
  const minOf: number[] = [];
  const signOf: number[] = [];
  spec.points.forEach((p, j) => {
    if (p.volMoves.length === 0) {
      throw new InputError(`${src}: ${path}.points[${j}].volMoves: expected at least one vol move, got none`, { file: src, path: `${path}.points[${j}].volMoves` });
    }
    p.volMoves.forEach((v, k) => {
      for (const sg of shifts) { pointOf.push(j); moveOf.push(v); skewOf.push(p.volSkews?.[k] ?? 0); minOf.push(p.volMins?.[k] ?? 0); signOf.push(sg); }
    });
  });
  const shaped = skewOf.some((x) => x !== 0) || minOf.some((x) => x !== 0);
  const nScen = pointOf.length;
  const stride = paddedStride(nScen);
  const spotMult = new Float64Array(nU * stride).fill(1);
  const volMove = new Float64Array(stride);
  const volShock = new Float64Array(nU * stride);
  const point = new Int32Array(stride);
  volMove.set(moveOf);
  for (let u = 0; u < nU; u++) volShock.set(moveOf, u * stride);
  point.set(pointOf);
  // Padding columns repeat the last real point's index so that no kernel sees an out-of-range
  // point; they are never read because the kernels stop at nScen.
  for (let s = nScen; s < stride; s++) point[s] = pointOf[nScen - 1] ?? 0;

  for (let u = 0; u < nU; u++) {
    const id = und.ids[u];
    const own = spec.underlyings.get(id);
    if (own?.moves && own.moves.length !== nPoints) {
      throw new InputError(
        `${src}: ${path}.underlyings.${id}.moves: expected ${nPoints} moves (one per point), got ${own.moves.length}`,
        { file: src, path: `${path}.underlyings.${id}.moves` });
    }
    const scale = own?.moveScale ?? 1;
    for (let s = 0; s < nScen; s++) {
      const j = pointOf[s];
      const move = own?.moves ? own.moves[j] : spec.points[j].move * scale;
      const m = 1 + move;
      if (!(m > 0)) {
        throw new InputError(
          `${src}: ${path}: point ${j} moves ${id} by ${move} (spot ${und.spot[u]} to ${und.spot[u] * m}); a spot must stay > 0`,
          { file: src, path });
      }
      spotMult[u * stride + s] = m;
    }
  }

  const ins = market.instruments;
  const n = ins.ids.length;
  const volWeight = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    if (ins.kind[i] !== KIND_CALL && ins.kind[i] !== KIND_PUT) continue;
    const w = tenorWeight(spec, ins.T[i]);
    volWeight[i] = w;
    for (let s = 0; s < nScen; s++) {
      // A move with a skew or a minimum: the cube build checks each cell's vol (docs/methods.md §5.7).
      if (skewOf[s] !== 0 || minOf[s] !== 0) continue;
      const factor = 1 + moveOf[s] * w;
      if (!(factor > 0) || !Number.isFinite(factor)) {
        throw new InputError(
          `${src}: ${path}: vol move ${moveOf[s]} at point ${pointOf[s]}, scaled by the tenor weight ${fmt(w)} of ` +
          `"${ins.ids[i]}", takes its vol from ${ins.vol[i]} to ${fmt(ins.vol[i] * factor)}; a shocked vol must stay > 0`,
          { file: src, path });
      }
    }
  }

  const cover = Float64Array.from(spec.points, (p) => p.cover);
  const set: GridScenarioSet = {
    nScen, stride, nUnderlyings: nU, spotMult, volShock, volWeight,
    horizonYears: spec.horizonDays / 365, nPoints, point, cover, volMove,
  };
  if (withBasis) {
    const shift = new Float64Array(nU * stride);
    for (let u = 0; u < nU; u++) shift.set(signOf, u * stride);
    const move = new Float64Array(nU), minYears = new Float64Array(nU);
    for (let u = 0; u < nU; u++) {
      const b = spec.underlyings.get(und.ids[u])?.basis ?? spec.basis;
      if (b) { move[u] = b.move; minYears[u] = b.minYears; }
    }
    set.basis = { shift, move, minYears };
  }
  if (shaped || spec.volDynamics === 'sticky-moneyness') {
    const skew = new Float64Array(nU * stride), floor = new Float64Array(nU * stride);
    for (let u = 0; u < nU; u++) { skew.set(skewOf, u * stride); floor.set(minOf, u * stride); }
    set.dynamics = { stickyMoneyness: spec.volDynamics === 'sticky-moneyness', absolute: new Float64Array(nU * stride), skew, floor };
  }
  return set;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
