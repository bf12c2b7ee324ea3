/**
 * Scenario-grid margin computed straight from docs/methods.md §6, one loop per formula, with no
 * cube, no kernel and no shared code with the engine's grid path other than the BSM reference.
 * Tests hold the engine to it.
 */
import { KIND_CALL } from '../layout.js';
import type { GridSpec, ResolvedMarket } from '../market/types.js';
import type { Position } from '../portfolio/resolve.js';
import { bsmPriceRef } from './valuation.js';
import { black76PriceRef } from './black76.js';
import { americanPriceRef } from './american.js';
import { surfaceVol } from '../surface/surface.js';

export interface ReferenceGridResult {
  initialMargin: number;
  maintenanceMargin: number;
  /** Per group id: R_g, M_g and the worst point. */
  groups: Map<string, { scanRisk: number; optionMinimum: number; worstPoint: number }>;
}

/**
 * The vol of option i under a grid vol move {move m, skew s, min v} with tenor weight w and spot
 * move `move`, from docs/methods.md §5.7: base (1 + m w) + s w ln(K / F), at least v; base the
 * option's vol, or with sticky-moneyness (an option priced off its surface) the surface read at
 * the moneyness K / (F (1 + move)).
 */
function gridVol(market: ResolvedMarket, spec: GridSpec, i: number, move: number, m: number, s: number, v: number, w: number): number {
  const ins = market.instruments, und = market.underlyings, u = ins.underlying[i];
  const K = ins.strike[i], T = ins.T[i];
  const fut = ins.future?.[i] ?? -1;
  const F = fut >= 0 ? ins.refPrice[fut] : und.spot[u] * Math.exp((und.rate[u] - und.yield[u]) * Math.max(T, 0));
  const sf = und.surface?.[u];
  let base = ins.vol[i];
  if (spec.volDynamics === 'sticky-moneyness' && sf && ins.volFromSurface?.[i] === 1) {
    base = surfaceVol(sf, sf.axis === 'moneyness' ? K : K / (1 + move), T, F * (1 + move));
  }
  return Math.max(base * (1 + m * w) + s * w * Math.log(K / F), v);
}

/**
 * The basis factor e^(g b max(tau, t0)) of instrument i in a scenario of shift g (docs/methods.md
 * §6.10): tau a future's years to expiry, 0 for a perpetual, an option on a future its future's;
 * 1 for spot and options on the spot.
 */
function basisFactor(market: ResolvedMarket, spec: GridSpec, i: number, g: number): number {
  const ins = market.instruments;
  const b = spec.underlyings.get(market.underlyings.ids[ins.underlying[i]])?.basis ?? spec.basis;
  if (!b || g === 0) return 1;
  const f = ins.future?.[i] ?? -1;
  const tau = ins.inputKind[i] === 'future' ? ins.T[i] : ins.inputKind[i] === 'perpetual' ? 0 : f >= 0 ? ins.T[f] : NaN;
  return Number.isNaN(tau) ? 1 : Math.exp(g * b.move * Math.max(tau, b.minYears));
}

/**
 * Value of one contract of instrument `id` when its underlying is at S1, its vol vol1 (options), T
 * reduced, and its forward (a future's, a perpetual's, an option's future's) times `basis`.
 */
function contractPnl(market: ResolvedMarket, id: string, S1: number, vol1: number, horizonYears: number, basis = 1): number {
  const ins = market.instruments;
  const i = ins.index.get(id)!;
  const u = ins.underlying[i];
  const S = market.underlyings.spot[u];
  const cs = ins.contractSize[i];
  switch (ins.inputKind[i]) {
    case 'spot': return cs * (S1 - S);
    case 'future':
    case 'perpetual': return cs * ins.refPrice[i] * ((S1 / S) * basis - 1);
    case 'option': {
      const call = ins.kind[i] === KIND_CALL;
      const r = market.underlyings.rate[u], q = market.underlyings.yield[u];
      const K = ins.strike[i], T = ins.T[i], vol = ins.vol[i];
      const f = ins.future?.[i] ?? -1;
      if (ins.american?.[i] === 1) {
        // Bjerksund-Stensland (2002); on a future, on its price with no carry (q = r).
        const [X, X1, qq] = f >= 0 ? [ins.refPrice[f], ins.refPrice[f] * (S1 / S) * basis, r] : [S, S1, q];
        return cs * (americanPriceRef(call, X1, K, T - horizonYears, r, qq, vol1) - americanPriceRef(call, X, K, T, r, qq, vol));
      }
      if (f >= 0) {
        // An option on a future: Black-76 on the future's price, which moves with the spot.
        const F = ins.refPrice[f], F1 = F * (S1 / S) * basis;
        return cs * (black76PriceRef(call, F1, K, T - horizonYears, r, vol1) - black76PriceRef(call, F, K, T, r, vol));
      }
      return cs * (bsmPriceRef(call, S1, K, T - horizonYears, r, q, vol1) - bsmPriceRef(call, S, K, T, r, q, vol));
    }
  }
}

export function referenceGridMargin(market: ResolvedMarket, spec: GridSpec, positions: readonly Position[]): ReferenceGridResult {
  const ins = market.instruments, und = market.underlyings;
  const h = spec.horizonDays / 365;
  const held = [...new Set(positions.map((p) => und.ids[ins.underlying[ins.index.get(p.instrument)!]]))];
  const groupOf = (u: string) => market.groups.ids[und.group[und.index.get(u)!]];
  // L_u[j] = cover_j * max_k(-P_u[j,k])
  const L = new Map<string, number[]>();
  for (const u of held) {
    const S = und.spot[und.index.get(u)!];
    const own = spec.underlyings.get(u);
    const losses = spec.points.map((point, j) => {
      const move = own?.moves ? own.moves[j] : point.move * (own?.moveScale ?? 1);
      let worst = -Infinity;
      const withBasis = spec.basis !== undefined || [...spec.underlyings.values()].some((e) => e.basis !== undefined);
      for (let k = 0; k < point.volMoves.length; k++) {
        const volMove = point.volMoves[k], skew = point.volSkews?.[k] ?? 0, min = point.volMins?.[k] ?? 0;
        // The worst of the basis shifts (0 only without basis).
        for (const g of withBasis ? [0, 1, -1] : [0]) {
          let P = 0;
          for (const pos of positions) {
            const i = ins.index.get(pos.instrument)!;
            if (und.ids[ins.underlying[i]] !== u) continue;
            const T = ins.T[i];
            let w = 1;
            if (spec.volTerm) w = (spec.volTerm.refDays / Math.max(spec.volTerm.floorDays, 365 * T)) ** spec.volTerm.power;
            const vol1 = ins.inputKind[i] === 'option' ? gridVol(market, spec, i, move, volMove, skew, min, w) : NaN;
            P += pos.quantity * contractPnl(market, pos.instrument, S * (1 + move), vol1, h, basisFactor(market, spec, i, g));
          }
          worst = Math.max(worst, -P);
        }
      }
      return point.cover * worst;
    });
    L.set(u, losses);
  }
  const groups = new Map<string, { scanRisk: number; optionMinimum: number; worstPoint: number }>();
  for (const g of new Set(held.map(groupOf))) {
    const o = spec.groups.get(g)?.offset ?? 0;
    let best = -Infinity, worstPoint = 0;
    spec.points.forEach((_, j) => {
      let pos = 0, neg = 0;
      for (const u of held) if (groupOf(u) === g) { pos += Math.max(L.get(u)![j], 0); neg += Math.max(-L.get(u)![j], 0); }
      const N = pos - o * neg;
      if (N > best) { best = N; worstPoint = j; }
    });
    let shortUnits = 0, longMinimum = 0;
    const net = new Map<string, number>();
    for (const p of positions) net.set(p.instrument, (net.get(p.instrument) ?? 0) + p.quantity);
    for (const [id, q] of net) {
      const i = ins.index.get(id)!;
      if (ins.inputKind[i] !== 'option' || groupOf(und.ids[ins.underlying[i]]) !== g) continue;
      if (q < 0) { shortUnits += -q * ins.contractSize[i]; continue; }
      // FINRA Rule 4210(g): a long option's minimum is capped at its market value.
      const u = ins.underlying[i], cs = ins.contractSize[i];
      const f = ins.future?.[i] ?? -1;
      const value = cs * (ins.american?.[i] === 1
        ? americanPriceRef(ins.kind[i] === KIND_CALL, f >= 0 ? ins.refPrice[f] : und.spot[u], ins.strike[i], ins.T[i], und.rate[u], f >= 0 ? und.rate[u] : und.yield[u], ins.vol[i])
        : f >= 0
          ? black76PriceRef(ins.kind[i] === KIND_CALL, ins.refPrice[f], ins.strike[i], ins.T[i], und.rate[u], ins.vol[i])
          : bsmPriceRef(ins.kind[i] === KIND_CALL, und.spot[u], ins.strike[i], ins.T[i], und.rate[u], und.yield[u], ins.vol[i]));
      longMinimum += q * Math.min(spec.longOptionMinimum * cs, Math.max(0, value));
    }
    groups.set(g, {
      scanRisk: Math.max(0, best), worstPoint,
      optionMinimum: spec.shortOptionMinimum * shortUnits + longMinimum,
    });
  }
  let initialMargin = 0;
  for (const g of groups.values()) initialMargin += Math.max(g.scanRisk, g.optionMinimum);
  initialMargin *= spec.marginMultiplier ?? 1;
  return { initialMargin, maintenanceMargin: spec.maintenanceRatio * initialMargin, groups };
}
