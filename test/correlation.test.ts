/**
 * Correlation matrices of expected-shortfall scenarios (src/scenarios/correlation.ts): building from pairs,
 * Cholesky of positive semi-definite matrices, and the exact error messages.
 *
 * Tolerances: |L L^T - C| <= 1e-12 entrywise for well-conditioned matrices and for exactly singular
 * ones (rho = +-1); L must be exactly zero above the diagonal.
 */
import { describe, expect, it } from 'vitest';
import { buildCorrelation, choleskyPsd } from '../src/scenarios/correlation.js';
import { InputError, isInputError } from '../src/errors.js';
import { Rng } from './helpers/random.js';

function maxReconstructionError(L: Float64Array, C: ArrayLike<number>, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += L[i * n + k] * L[j * n + k];
      worst = Math.max(worst, Math.abs(s - C[i * n + j]));
    }
  }
  return worst;
}

function expectLowerTriangular(L: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L[i * n + j]).toBe(0);
}

function errorOf(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (isInputError(e)) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('buildCorrelation', () => {
  it('fills a symmetric unit-diagonal matrix, pairs in either order, unlisted pairs 0', () => {
    const c = buildCorrelation(['BTC', 'ETH', 'SOL'], [['ETH', 'BTC', 0.8], ['BTC', 'SOL', -0.25]], 'market.json');
    expect(Array.from(c)).toEqual([1, 0.8, -0.25, 0.8, 1, 0, -0.25, 0, 1]);
    expect(Array.from(buildCorrelation([], [], 'm'))).toEqual([]);
  });

  const ids = ['BTC', 'ETH', 'SOL'];
  it.each([
    ['unknown underlying', [['BTC', 'XRP', 0.5]],
      'market.json: risk.es.correlations[0]: unknown underlying "XRP"'],
    ['self pair', [['BTC', 'ETH', 0.5], ['SOL', 'SOL', 1]],
      'market.json: risk.es.correlations[1]: a correlation needs two different underlyings, got "SOL" twice'],
    ['rho above 1', [['BTC', 'ETH', 1.2]],
      'market.json: risk.es.correlations[0]: correlation between BTC and ETH must be a number in [-1, 1], got 1.2'],
    ['rho not a number', [['BTC', 'ETH', '0.5']],
      'market.json: risk.es.correlations[0]: correlation between BTC and ETH must be a number in [-1, 1], got "0.5"'],
    ['rho NaN', [['BTC', 'ETH', NaN]],
      'market.json: risk.es.correlations[0]: correlation between BTC and ETH must be a number in [-1, 1], got NaN'],
    ['duplicate pair', [['BTC', 'ETH', 0.5], ['SOL', 'BTC', 0.1], ['ETH', 'BTC', 0.5]],
      'market.json: risk.es.correlations[2]: the pair ETH, BTC is listed twice (also at risk.es.correlations[0])'],
    ['malformed entry', [['BTC', 'ETH']],
      'market.json: risk.es.correlations[0]: expected [underlying, underlying, correlation], got ["BTC","ETH"]'],
  ])('%s', (_name, pairs, message) => {
    const e = errorOf(() => buildCorrelation(ids, pairs as [string, string, number][], 'market.json'));
    expect(e.message).toBe(message);
    expect(e.code).toBe('E_INPUT');
    expect(e.file).toBe('market.json');
  });
});

describe('choleskyPsd', () => {
  it('factors 500 seeded random correlation matrices (n = 1..12): L lower triangular, |L L^T - C| <= 1e-12', () => {
    const rng = new Rng(401);
    for (let t = 0; t < 500; t++) {
      const n = rng.int(1, 12);
      const a = Array.from({ length: n * n }, () => rng.normal());
      const c = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * a[j * n + k];
        c[i * n + j] = s;
      }
      const d = Array.from({ length: n }, (_, i) => Math.sqrt(c[i * n + i]));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[i * n + j] = i === j ? 1 : c[i * n + j] / (d[i] * d[j]);
      const L = choleskyPsd(c, n, Array.from({ length: n }, (_, i) => `U${i}`), 'm');
      expectLowerTriangular(L, n);
      const err = maxReconstructionError(L, c, n);
      if (!(err <= 1e-12)) throw new Error(`case ${t} n=${n}: error ${err}; C = ${JSON.stringify(Array.from(c))}`);
    }
  });

  it('identity: L = I', () => {
    expect(Array.from(choleskyPsd([1, 0, 0, 1], 2, ['A', 'B'], 'm'))).toEqual([1, 0, 0, 1]);
  });

  it.each([
    ['rho = 1', [['A', 'B', 1]]],
    ['rho = -1', [['A', 'B', -1]]],
    ['three perfectly correlated', [['A', 'B', 1], ['A', 'C', 1], ['B', 'C', 1]]],
    ['one inverse of two', [['A', 'B', 1], ['A', 'C', -1], ['B', 'C', -1]]],
    ['a copy with other correlations', [['A', 'B', 1], ['A', 'C', 0.5], ['B', 'C', 0.5]]],
    ['a copy in the middle', [['A', 'C', 1], ['A', 'B', 0.3], ['B', 'C', 0.3], ['B', 'D', -0.4], ['A', 'D', 0.2], ['C', 'D', 0.2]]],
  ])('positive semi-definite: %s', (_name, pairs) => {
    const names = ['A', 'B', 'C', 'D'];
    const c = buildCorrelation(names, pairs as [string, string, number][], 'm');
    const L = choleskyPsd(c, 4, names, 'm');
    expectLowerTriangular(L, 4);
    expect(maxReconstructionError(L, c, 4)).toBeLessThanOrEqual(1e-12);
    // At least one dependent underlying: a zero column (zero pivot).
    expect([0, 1, 2, 3].some((j) => L[j * 4 + j] === 0)).toBe(true);
  });

  it('the classic inconsistent 3 x 3 (0.9, 0.9, -0.9) names all three', () => {
    const ids = ['BTC', 'ETH', 'SOL'];
    const c = buildCorrelation(ids, [['BTC', 'ETH', 0.9], ['BTC', 'SOL', 0.9], ['ETH', 'SOL', -0.9]], 'market.json');
    const e = errorOf(() => choleskyPsd(c, 3, ids, 'market.json'));
    expect(e.message).toBe('market.json: risk.es.correlations: not a valid correlation matrix: '
      + 'the correlations among BTC, ETH, SOL are inconsistent (matrix not positive semi-definite)');
    expect(e.code).toBe('E_INPUT');
    expect(e.path).toBe('risk.es.correlations');
  });

  it('names only the inconsistent subset, in matrix order, among correlated bystanders', () => {
    const ids = ['XRP', 'BTC', 'DOGE', 'ETH', 'ADA', 'SOL'];
    const pairs: [string, string, number][] = [
      ['BTC', 'ETH', 0.9], ['BTC', 'SOL', 0.9], ['ETH', 'SOL', -0.9],
      ['XRP', 'BTC', 0.3], ['DOGE', 'XRP', 0.5], ['ADA', 'DOGE', 0.2], ['ADA', 'SOL', 0.1],
    ];
    const c = buildCorrelation(ids, pairs, 'market.json');
    const e = errorOf(() => choleskyPsd(c, 6, ids, 'market.json'));
    expect(e.message).toBe('market.json: risk.es.correlations: not a valid correlation matrix: '
      + 'the correlations among BTC, ETH, SOL are inconsistent (matrix not positive semi-definite)');
  });

  it('a pair inconsistent with a perfect correlation: A = B but corr(A, C) = 0.5, corr(B, C) = -0.5', () => {
    const ids = ['A', 'B', 'C'];
    const c = buildCorrelation(ids, [['A', 'B', 1], ['A', 'C', 0.5], ['B', 'C', -0.5]], 'm.json');
    expect(errorOf(() => choleskyPsd(c, 3, ids, 'm.json')).message).toBe('m.json: risk.es.correlations: not a valid '
      + 'correlation matrix: the correlations among A, B, C are inconsistent (matrix not positive semi-definite)');
  });

  it('four underlyings that are only jointly inconsistent are all named', () => {
    // All pairwise -0.4: eigenvalue 1 + 3 (-0.4) = -0.2 < 0, while every 3 x 3 (1 - 0.8 > 0) is valid.
    const ids = ['A', 'B', 'C', 'D'];
    const pairs: [string, string, number][] = [];
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) pairs.push([ids[i], ids[j], -0.4]);
    const c = buildCorrelation(ids, pairs, 'm.json');
    expect(errorOf(() => choleskyPsd(c, 4, ids, 'm.json')).message).toContain('the correlations among A, B, C, D are inconsistent');
  });

  it.each([
    ['diagonal not 1', [1, 0.2, 0.2, 0.9],
      'm.json: risk.es.correlations: not a valid correlation matrix: the correlation of B with itself is 0.9, expected 1'],
    ['not symmetric', [1, 0.2, 0.3, 1],
      'm.json: risk.es.correlations: not a valid correlation matrix: not symmetric between A and B (0.2 and 0.3)'],
    ['entry outside [-1, 1]', [1, 1.5, 1.5, 1],
      'm.json: risk.es.correlations: not a valid correlation matrix: the correlation between A and B is outside [-1, 1]'],
  ])('rejects a matrix with %s', (_name, m, message) => {
    expect(errorOf(() => choleskyPsd(m, 2, ['A', 'B'], 'm.json')).message).toBe(message);
  });
});
