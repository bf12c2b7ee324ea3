/**
 * Euler allocation of a portfolio's initial margin over its netted positions: each position's
 * share is its contribution to the margin's scenario formula, holding fixed the scenarios that
 * set it, so the shares sum to the margin (up to rounding) and a hedge gets a negative share.
 * loss_p(s) = -q_p cube[i_p, s] is position p's loss in scenario s.
 *
 * - Expected shortfall (es, fhs): with the tail scenarios s_1 .. s_m of the portfolio's loss
 *   (weights w_j = 1, the last w_m = k - (m - 1)),
 *     share_p = sum_j w_j loss_p(s_j) / k,
 *   whose sum over p is ES. When ES <= 0 the margin is 0 and every share is 0.
 * - Grid, per product group g (charge max(R_g, M_g)):
 *   - scan risk binds (R_g >= M_g, R_g > 0): at the group's worst point j, each underlying u of
 *     the group has its worst vol move's scenario s_u (the first scenario of point j with the
 *     largest loss -P_u(s)) and L_u = cover_j * (-P_u(s_u)); then
 *       share_p = c_u * cover_j * loss_p(s_u),  c_u = 1 when L_u >= 0, the offset o_g when L_u < 0,
 *     so the group's shares sum to sum_u max(L_u, 0) - o_g sum_u max(-L_u, 0) = N_g[j] = R_g;
 *   - the option minimum binds (M_g > R_g): each option position gets its own term of M_g,
 *     shortOptionMinimum * |q| * contractSize (short) or q * min(longOptionMinimum * contractSize,
 *     value of one contract) (long); other positions 0;
 *   - a charge of 0: every share 0.
 *   Every grid share is then multiplied by the grid's marginMultiplier (default 1), as the margin is.
 * - Stress floor binding: share_p = cover * loss_p(s*) at the worst stress scenario s*.
 */
import type { GridSpec, ResolvedMarket as Market } from '../market/types.js';
import { cubeView, type Cube } from '../cube/cube.js';
import type { TailStats } from '../kernels/es.js';
import type { GroupCharge, PositionShare, ShareBasis } from '../results.js';

/** What the grid shares read of a grid model (a GridModel is one). */
export interface GridShareSource {
  market: Market;
  cube: Cube;
  scenarios: { nScen: number; stride: number; point: Int32Array; cover: Float64Array };
  spec: Pick<GridSpec, 'groups' | 'marginMultiplier'>;
  /** The option minimum of one netted position (src/policy/grid.ts optionMinimum). */
  optionMinimumOf(i: number, qty: number): number;
}

/** What the ES shares read of a tail model (a TailModel is one). */
export interface TailShareSource {
  market: Market;
  cube: Cube;
  scenarios: { stride: number };
  /** The tail of netted positions' loss vector: k, and the m tail scenarios (the VaR scenario last). */
  tailScenarios(instr: Int32Array, qty: Float64Array): TailStats & { scenarios: Int32Array };
}

/** What the stress shares read of the stress scenarios (a StressTest is one). */
export interface StressShareSource {
  market: Market;
  spec: { cover: number };
  scenarios: { names: string[] };
  positionLosses(instr: ArrayLike<number>, qty: ArrayLike<number>, s: number): Float64Array;
}

/** Netted positions as the models resolve them. */
export interface Netted {
  instr: Int32Array;
  qty: Float64Array;
}

function shareRows(market: Market, pos: Netted, withGroup: boolean): PositionShare[] {
  const ins = market.instruments, und = market.underlyings;
  return Array.from(pos.instr, (i, p) => {
    const u = ins.underlying[i];
    const row: PositionShare = { instrument: ins.ids[i], quantity: pos.qty[p], underlying: und.ids[u], initialMargin: 0, basis: 'none' };
    if (withGroup) row.group = market.groups.ids[und.group[u]];
    return row;
  });
}

/** ES shares of a tail model's margin (es or fhs), `initialMargin` the model's max(ES, 0). */
export function tailShares(model: TailShareSource, pos: Netted, initialMargin: number): PositionShare[] {
  const rows = shareRows(model.market, pos, false);
  if (!(initialMargin > 0) || rows.length === 0) return rows;
  const t = model.tailScenarios(pos.instr, pos.qty);
  const cube = cubeView(model.cube);
  const stride = model.scenarios.stride;
  const m = t.scenarios.length;
  rows.forEach((row, p) => {
    const base = model.cube.row[pos.instr[p]] * stride, q = pos.qty[p];
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const w = j === m - 1 ? t.k - (m - 1) : 1;
      sum += w * (-q * cube[base + t.scenarios[j]]);
    }
    row.initialMargin = sum / t.k;
    row.basis = 'es';
  });
  return rows;
}

/**
 * Grid shares of a grid model's result for the same positions. Groups are matched to
 * `result.groups` by their order of first appearance among the positions, as the model lists them.
 */
export function gridShares(model: GridShareSource, pos: Netted, result: { groups?: GroupCharge[] }): PositionShare[] {
  const market = model.market, ins = market.instruments, und = market.underlyings;
  const rows = shareRows(market, pos, true);
  const groups = result.groups ?? [];
  // Group slot of each position, in the model's order (first appearance of the group).
  const slotOf = new Map<number, number>();
  const slot = Int32Array.from(pos.instr, (i) => {
    const g = und.group[ins.underlying[i]];
    let s = slotOf.get(g);
    if (s === undefined) { s = slotOf.size; slotOf.set(g, s); }
    return s;
  });
  const sc = model.scenarios, stride = sc.stride;
  const cube = cubeView(model.cube), row = model.cube.row;
  const spec = model.spec;
  for (const [g, gs] of slotOf) {
    const charge = groups[gs];
    if (!charge) continue;
    const members: number[] = [];
    slot.forEach((s, p) => { if (s === gs) members.push(p); });
    if (charge.charge > 0 && charge.scanRisk >= charge.optionMinimum) {
      const j = charge.worstPoint;
      const cover = sc.cover[j];
      const offset = spec.groups.get(market.groups.ids[g])?.offset ?? 0;
      // Underlyings of the group, with their positions.
      const byU = new Map<number, number[]>();
      for (const p of members) {
        const u = ins.underlying[pos.instr[p]];
        let list = byU.get(u);
        if (!list) { list = []; byU.set(u, list); }
        list.push(p);
      }
      for (const list of byU.values()) {
        let best = -Infinity, bestS = -1;
        for (let s = 0; s < sc.nScen; s++) {
          if (sc.point[s] !== j) continue;
          let P = 0;
          for (const p of list) P += pos.qty[p] * cube[row[pos.instr[p]] * stride + s];
          if (-P > best) { best = -P; bestS = s; }
        }
        const L = cover * best;
        const c = L < 0 ? offset : 1;
        for (const p of list) {
          rows[p].initialMargin = bestS < 0 ? 0 : (spec.marginMultiplier ?? 1) * c * cover * (-pos.qty[p] * cube[row[pos.instr[p]] * stride + bestS]);
          rows[p].basis = 'scan';
        }
      }
    } else if (charge.charge > 0) {
      for (const p of members) {
        const i = pos.instr[p];
        rows[p].initialMargin = (spec.marginMultiplier ?? 1) * model.optionMinimumOf(i, pos.qty[p]);
        rows[p].basis = 'option-minimum';
      }
    }
  }
  return rows;
}

/** Shares of a binding stress floor: cover * loss_p at the worst stress scenario. */
export function stressShares(stress: StressShareSource, pos: Netted, scenario: string, withGroup: boolean): PositionShare[] {
  const rows = shareRows(stress.market, pos, withGroup);
  const s = stress.scenarios.names.indexOf(scenario);
  const losses = stress.positionLosses(pos.instr, pos.qty, s);
  const basis: ShareBasis = 'stress';
  rows.forEach((row, p) => { row.initialMargin = stress.spec.cover * losses[p]; row.basis = basis; });
  return rows;
}
