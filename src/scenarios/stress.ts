/**
 * The scenario set of named stress scenarios: scenario s (in the block's order) moves the spot of
 * underlying u to S' = S (1 + spot_s[u]) and the implied vol of every option on u to
 * vol' = vol (1 + vol_s[u]) + absolute_s[u] + skew_s[u] ln(K / F) (no tenor weighting; the
 * absolute and skew parts, or volDynamics sticky-moneyness, give the set vol dynamics:
 * docs/methods.md §5.7); underlyings a scenario does not name stay put.
 * Options age horizonDays / 365 years. An underlying the market lacks is an InputError (validateStress
 * with the market reports it first, with the file and path).
 */
import { InputError, show } from '../errors.js';
import type { ResolvedMarket, StressSpec } from '../market/types.js';
import { someIds } from '../market/validate.js';
import { paddedStride, type ScenarioSet } from './types.js';
import { checkMarket, stressOption } from '../options.js';

export interface StressScenarioSet extends ScenarioSet {
  /** names[s]: the name of scenario s. */
  names: string[];
}

export function buildStressScenarios(market: ResolvedMarket, spec: StressSpec): StressScenarioSet {
  checkMarket(market, 'buildStressScenarios');
  spec = stressOption(spec, market, 'spec');
  const und = market.underlyings;
  const nU = und.ids.length;
  const nScen = spec.scenarios.length;
  const stride = paddedStride(nScen);
  const spotMult = new Float64Array(nU * stride).fill(1);
  const volShock = new Float64Array(nU * stride);
  const index = (scenario: string, id: string): number => {
    const u = und.index.get(id);
    if (u === undefined) {
      throw new InputError(`stress scenario ${show(scenario)}: unknown underlying ${show(id)}; the market's underlyings are `
        + someIds(und.ids), { path: id });
    }
    return u;
  };
  const absolute = new Float64Array(nU * stride), skew = new Float64Array(nU * stride);
  const basisShift = new Float64Array(nU * stride);
  let shaped = false, withBasis = false;
  spec.scenarios.forEach((sc, s) => {
    for (const [id, move] of sc.spot) spotMult[index(sc.name, id) * stride + s] = 1 + move;
    for (const [id, move] of sc.vol) volShock[index(sc.name, id) * stride + s] = move;
    for (const [id, a] of sc.volAbsolute ?? []) { absolute[index(sc.name, id) * stride + s] = a; shaped = true; }
    for (const [id, k] of sc.volSkew ?? []) { skew[index(sc.name, id) * stride + s] = k; shaped = true; }
    for (const [id, b] of sc.basis ?? []) { basisShift[index(sc.name, id) * stride + s] = b; withBasis = true; }
  });
  const set: StressScenarioSet = {
    nScen, stride, nUnderlyings: nU, spotMult, volShock,
    volWeight: new Float64Array(market.instruments.ids.length).fill(1), horizonYears: spec.horizonDays / 365,
    names: spec.scenarios.map((s) => s.name),
  };
  if (withBasis) {
    // A scenario's basis move b: F' = F m e^(b max(tau, t0)) (move 1 per underlying: the shift is b).
    set.basis = { shift: basisShift, move: new Float64Array(nU).fill(1), minYears: new Float64Array(nU).fill(spec.basisMinYears ?? 0) };
  }
  if (shaped || spec.volDynamics === 'sticky-moneyness') {
    set.dynamics = { stickyMoneyness: spec.volDynamics === 'sticky-moneyness', absolute, skew, floor: new Float64Array(nU * stride) };
  }
  return set;
}
