/**
 * The Monte Carlo scenario set of expected-shortfall margin (docs/methods.md §8): correlated
 * normal or Student-t log-return shocks over the horizon, from the counter-based generator keyed
 * by (seed, scenario index), so any scenario can be regenerated alone and no result depends on
 * threads or batch splits.
 *
 * Implied vols move only for an underlying with a `volOfVol`: its vol factor "U.vol" is drawn as
 * one more correlated factor after all the underlyings (same streams, same Student-t mixing draw),
 * and every option on U moves to vol' = vol exp(volOfVol sqrt(h/365) z - volOfVol^2 h / 730). The
 * spot factors come first and the Cholesky factor is lower triangular, so the spot moves are the
 * same bit for bit with or without vol factors.
 */
import { InputError } from '../errors.js';
import type { EsSpec, ResolvedMarket } from '../market/types.js';
import { volFactorName, volFactorUnderlyings } from '../market/es-spec.js';
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
  // Factors: the underlyings, then the vol factors of those with a volOfVol.
  const volU = volFactorUnderlyings(market);
  const factorIds = [...ids, ...volU.map((u) => volFactorName(ids[u]))];
  for (const u of volU) {
    const name = volFactorName(ids[u]);
    if (market.underlyings.index.has(name)) {
      throw new InputError(`${market.source}: underlyings.${ids[u]}.volOfVol: its vol factor is named ${name}, which is also `
        + 'an underlying of the market: rename one of them', { file: market.source, path: `underlyings.${ids[u]}.volOfVol` });
    }
  }
  const nF = factorIds.length;
  const corr = buildCorrelation(factorIds, spec.correlations, market.source);
  const chol = choleskyPsd(corr, nF, factorIds, market.source);
  const stride = paddedStride(spec.scenarios);
  const volOfVol = market.underlyings.volOfVol!;
  const volScales = shockScales(volU.map((u) => volOfVol[u]), spec.horizonDays);
  const scale = nF === nU ? shockScales(vols, spec.horizonDays) : Float64Array.from([...shockScales(vols, spec.horizonDays), ...volScales]);
  const { values } = generateShocksArray(arena, {
    seed: spec.seed, nScen: spec.scenarios, chol, scale,
    distribution: spec.distribution, degreesOfFreedom: spec.degreesOfFreedom, stride,
  });
  const volShock = new Float64Array(nU * stride);
  volU.forEach((u, k) => {
    // exp(a z) exp(-a^2 / 2), a = volOfVol sqrt(h/365): the lognormal convexity term keeps E[vol'] = vol (normal shocks).
    const drift = Math.exp(-0.5 * volScales[k] * volScales[k]);
    const from = (nU + k) * stride, to = u * stride;
    for (let s = 0; s < spec.scenarios; s++) volShock[to + s] = values[from + s] * drift - 1;
  });
  return {
    nScen: spec.scenarios, stride, nUnderlyings: nU, spotMult: nF === nU ? values : values.slice(0, nU * stride),
    volShock, volWeight: new Float64Array(market.instruments.ids.length).fill(1),
    horizonYears: spec.horizonDays / 365,
  };
}
