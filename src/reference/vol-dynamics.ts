/**
 * Plain-TypeScript twin of the vol-dynamics kernel (assembly/vol-dynamics.ts, docs/methods.md §5.7):
 * the vol of an option in a scenario of a set with vol dynamics, written from the formula, and the
 * P&L cube it gives (instrument order). Tests compare the WebAssembly cube with these; the cube's
 * error messages use shockedVolRef to name the vol that left (0, 10].
 */
import { COL_K, COL_Q, COL_R, COL_S, COL_T, COL_VOL, COL_CS, COL_F, COL_KIND, KIND_CALL, KIND_PUT, KIND_SPOT, KIND_LINEAR } from '../layout.js';
import type { ResolvedMarket } from '../market/types.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { AXIS_MONEYNESS, surfaceLn, surfaceVolAt } from '../surface/surface.js';
import { optionPriceRef } from './cube.js';

/**
 * The vol of option i (market order) in scenario s:
 *   vol' = max(base (1 + volShock w) + absolute w + skew w ln(K / F), floor)
 * with w the option's tenor weight, F = S e^((r - q) max(T, 0)) today's forward to its expiry, and
 * base its vol, or (sticky moneyness, an option priced off its underlying's surface) the surface's
 * vol at the coordinate it has after the spot move m: ln(K / F) - ln m on a moneyness axis,
 * ln K - ln m on a strike axis. Without dynamics: vol (1 + volShock w).
 */
export function shockedVolRef(market: ResolvedMarket, scen: ScenarioSet, i: number, s: number): number {
  const ins = market.instruments, und = market.underlyings;
  const u = ins.underlying[i], o = u * scen.stride + s;
  const vol = ins.vol[i], w = scen.volWeight[i];
  const dyn = scen.dynamics;
  if (!dyn) return vol * (1 + scen.volShock[o] * w);
  const K = ins.strike[i], T = ins.T[i];
  // Today's forward to the expiry; an option on a future: that future's price (docs/methods.md §3.3).
  const fut = ins.future?.[i] ?? -1;
  const F = fut >= 0 ? ins.refPrice[fut] : und.spot[u] * Math.exp((und.rate[u] - und.yield[u]) * Math.max(T, 0));
  const lnKF = surfaceLn(K / F);
  const sf = und.surface?.[u];
  let base = vol;
  if (dyn.stickyMoneyness && sf && ins.volFromSurface?.[i] === 1) {
    const l = surfaceLn(scen.spotMult[o]);
    base = surfaceVolAt(sf, (sf.axisCode === AXIS_MONEYNESS ? lnKF : surfaceLn(K)) - l, T);
  }
  const v = base * (1 + scen.volShock[o] * w) + dyn.absolute[o] * w + dyn.skew[o] * w * lnKF;
  // A minimum of 0 is no minimum: a vol driven to 0 or below stays so (and is refused).
  return dyn.floor[o] > 0 ? Math.max(v, dyn.floor[o]) : v;
}

/** The P&L of one contract of every instrument (market order) in every scenario: n rows of `stride`. */
export function referenceDynamicCube(market: ResolvedMarket, scen: ScenarioSet): Float64Array {
  const n = market.instruments.ids.length, t = market.table, stride = scen.stride;
  const at = (c: number, i: number) => t[c * n + i];
  const out = new Float64Array(n * stride);
  for (let i = 0; i < n; i++) {
    const kind = at(COL_KIND, i), S = at(COL_S, i), cs = at(COL_CS, i), u = market.instruments.underlying[i];
    for (let s = 0; s < scen.nScen; s++) {
      const m = scen.spotMult[u * stride + s];
      let pnl: number;
      if (kind === KIND_SPOT) pnl = cs * S * (m - 1);
      else if (kind === KIND_LINEAR) pnl = cs * at(COL_F, i) * (m - 1);
      else if (kind === KIND_CALL || kind === KIND_PUT) {
        const call = kind === KIND_CALL;
        const K = at(COL_K, i), T = at(COL_T, i), r = at(COL_R, i), q = at(COL_Q, i), vol = at(COL_VOL, i);
        const am = market.instruments.american?.[i] === 1;
        pnl = cs * (optionPriceRef(am, call, S * m, K, T - scen.horizonYears, r, q, shockedVolRef(market, scen, i, s)) - optionPriceRef(am, call, S, K, T, r, q, vol));
      } else pnl = NaN;
      out[i * stride + s] = pnl;
    }
  }
  return out;
}
