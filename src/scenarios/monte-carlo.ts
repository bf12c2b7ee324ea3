/**
 * The Monte Carlo scenario set of expected-shortfall margin (docs/methods.md §8): correlated
 * normal or Student-t log-return shocks over the horizon, from the counter-based generator keyed
 * by (seed, scenario index), so any scenario can be regenerated alone and no result depends on
 * threads or batch splits. Implied vols do not move.
 */
import { InputError } from '../errors.js';
import type { EsSpec, ResolvedMarket } from '../market/types.js';
import type { Arena } from '../wasm/arena.js';
import { buildCorrelation, choleskyPsd } from './correlation.js';
import { generateShocksArray, shockScales } from '../kernels/es.js';
import { checkCubeSize, paddedStride, type ScenarioSet } from './types.js';

/** Vol of every underlying, which simulation needs; an error names the first one missing. */
export function underlyingVols(market: ResolvedMarket, method: string): Float64Array {
  const und = market.underlyings;
  und.ids.forEach((id, u) => {
    if (!(und.vol[u] > 0)) {
      throw new InputError(
        `${market.source}: underlyings.${id}.vol: the ${method} method needs the annualised vol of every underlying, got nothing`,
        { file: market.source, path: `underlyings.${id}.vol` });
    }
  });
  return und.vol;
}

export function buildMonteCarloScenarios(arena: Arena, market: ResolvedMarket, spec: EsSpec, path = 'risk.es'): ScenarioSet {
  checkCubeSize(market, spec.scenarios, `${path}.scenarios`);
  const ids = market.underlyings.ids;
  const nU = ids.length;
  const vols = underlyingVols(market, 'es');
  const corr = buildCorrelation(ids, spec.correlations, market.source);
  const chol = choleskyPsd(corr, nU, ids, market.source);
  const stride = paddedStride(spec.scenarios);
  const { values } = generateShocksArray(arena, {
    seed: spec.seed, nScen: spec.scenarios, chol, scale: shockScales(vols, spec.horizonDays),
    distribution: spec.distribution, degreesOfFreedom: spec.degreesOfFreedom, stride,
  });
  return {
    nScen: spec.scenarios, stride, nUnderlyings: nU, spotMult: values,
    volShock: new Float64Array(nU * stride), volWeight: new Float64Array(market.instruments.ids.length).fill(1),
    horizonYears: spec.horizonDays / 365,
  };
}
