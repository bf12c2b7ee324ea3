/**
 * The correlation matrix of expected-shortfall scenarios (docs/methods.md §8.4, `risk.es.correlations`)
 * and its Cholesky factor.
 *
 * buildCorrelation turns the listed pairs into a dense matrix (unit diagonal, symmetric, pairs not
 * listed 0). choleskyPsd factors it as C = L L^T with L lower triangular in the order of the
 * underlyings (the shock kernel needs exactly that), and accepts positive SEMI-definite matrices:
 * a pivot that is zero within PIVOT_TOL (a dependent underlying, for example rho = 1 between two)
 * gives a zero column, provided the rest of that column is zero within RESIDUAL_TOL. A matrix that is
 * not positive semi-definite is an InputError naming an inclusion-minimal set of underlyings whose
 * correlations are inconsistent (every smaller subset of it is a valid correlation matrix).
 *
 * Tolerances: PIVOT_TOL = 1e-12 on the unit-diagonal scale; RESIDUAL_TOL = 1e-6 >= sqrt(PIVOT_TOL),
 * so no positive semi-definite matrix is rejected (in a PSD matrix a residual is at most the square
 * root of the product of its two pivots), and a matrix that is accepted reproduces every correlation
 * to within about 1e-6.
 */
import { InputError, show } from '../errors.js';

export const PIVOT_TOL = 1e-12;
export const RESIDUAL_TOL = 1e-6;
/** Largest |C[i][j] - C[j][i]| and |C[i][i] - 1| accepted as rounding. */
export const SYMMETRY_TOL = 1e-12;

const FIELD = 'risk.es.correlations';
/** Largest set of underlyings that is reduced to a minimal inconsistent subset. */
const MINIMISE_LIMIT = 150;

function fail(source: string, path: string, message: string): never {
  throw new InputError(`${source}: ${path}: ${message}`, { file: source, path });
}

/**
 * The nU x nU correlation matrix (row-major) of `underlyingIds` (the factors: the underlyings, then
 * the vol factors "U.vol" of es, docs/methods.md §8.2) from pairs [a, b, rho]. Each pair
 * must name two known, different factors, rho a finite number in [-1, 1], and list a pair once
 * (in either order). `source` is the file name used in error messages.
 */
export function buildCorrelation(
  underlyingIds: string[], pairs: [string, string, number][], source: string,
): Float64Array {
  const n = underlyingIds.length;
  const pos = new Map<string, number>();
  underlyingIds.forEach((id, i) => pos.set(id, i));
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) c[i * n + i] = 1;
  const seen = new Map<string, number>();
  pairs.forEach((pair, p) => {
    const path = `${FIELD}[${p}]`;
    if (!Array.isArray(pair) || pair.length !== 3) {
      fail(source, path, `expected [underlying, underlying, correlation], got ${show(pair)}`);
    }
    const [a, b, rho] = pair;
    for (const id of [a, b]) {
      if (typeof id !== 'string' || !pos.has(id)) {
        fail(source, path, typeof id === 'string' && id.endsWith('.vol') && pos.has(id.slice(0, -4))
          ? `unknown vol factor ${show(id)} (underlying ${show(id.slice(0, -4))} has no volOfVol)` : `unknown underlying ${show(id)}`);
      }
    }
    if (a === b) fail(source, path, `a correlation needs two different underlyings, got "${a}" twice`);
    if (typeof rho !== 'number' || !Number.isFinite(rho) || rho < -1 || rho > 1) {
      fail(source, path, `correlation between ${a} and ${b} must be a number in [-1, 1], got ${show(rho)}`);
    }
    const i = pos.get(a)!;
    const j = pos.get(b)!;
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      fail(source, path, `the pair ${a}, ${b} is listed twice (also at ${FIELD}[${earlier}])`);
    }
    seen.set(key, p);
    c[i * n + j] = rho;
    c[j * n + i] = rho;
  });
  return c;
}

/**
 * Cholesky of the principal submatrix of `m` (n x n row-major) on the rows `rows`, in that order,
 * row by row (so a failure at row i means the rows before it form a positive semi-definite block and
 * adding row i breaks it). Returns L (|rows| x |rows|, row-major, lower triangular) or the position
 * (in `rows`) of the row where the submatrix was found not positive semi-definite.
 */
function tryCholesky(m: ArrayLike<number>, n: number, rows: readonly number[]): { L: Float64Array } | { failAt: number } {
  const r = rows.length;
  const L = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < i; j++) {
      let s = m[rows[i] * n + rows[j]];
      for (let k = 0; k < j; k++) s -= L[i * r + k] * L[j * r + k];
      const ljj = L[j * r + j];
      if (ljj > 0) L[i * r + j] = s / ljj;
      else if (Math.abs(s) > RESIDUAL_TOL) return { failAt: i }; // dependent row j: column must be empty
    }
    let d = m[rows[i] * n + rows[i]];
    for (let k = 0; k < i; k++) d -= L[i * r + k] * L[i * r + k];
    if (d > PIVOT_TOL) L[i * r + i] = Math.sqrt(d);
    else if (d < -PIVOT_TOL) return { failAt: i };
    // else: row i depends on the rows before it; its pivot and column stay 0.
  }
  return { L };
}

/**
 * The lower-triangular L (n x n, row-major) with L L^T = `matrix` for a correlation matrix that
 * may be only positive semi-definite; zero columns for dependent underlyings. Throws InputError
 * (naming `source` and the underlyings `ids`) when the matrix is not symmetric, has a diagonal
 * other than 1 or an entry outside [-1, 1], or is not positive semi-definite.
 */
export function choleskyPsd(matrix: ArrayLike<number>, n: number, ids: string[], source: string): Float64Array {
  if (matrix.length !== n * n || ids.length !== n) {
    throw new RangeError(`choleskyPsd: expected ${n} x ${n} values and ${n} ids, got ${matrix.length} and ${ids.length}`);
  }
  const prefix = 'not a valid correlation matrix';
  for (let i = 0; i < n; i++) {
    const d = matrix[i * n + i];
    if (!(Math.abs(d - 1) <= SYMMETRY_TOL)) fail(source, FIELD, `${prefix}: the correlation of ${ids[i]} with itself is ${d}, expected 1`);
    for (let j = 0; j < i; j++) {
      const a = matrix[i * n + j];
      const b = matrix[j * n + i];
      if (!(Math.abs(a) <= 1) || !(Math.abs(b) <= 1)) {
        fail(source, FIELD, `${prefix}: the correlation between ${ids[j]} and ${ids[i]} is outside [-1, 1]`);
      }
      if (!(Math.abs(a - b) <= SYMMETRY_TOL)) {
        fail(source, FIELD, `${prefix}: not symmetric between ${ids[j]} and ${ids[i]} (${b} and ${a})`);
      }
    }
  }
  const all = Array.from({ length: n }, (_, i) => i);
  const res = tryCholesky(matrix, n, all);
  if ('L' in res) return res.L;
  const bad = offendingSubset(matrix, n, res.failAt);
  const names = bad.map((i) => ids[i]).join(', ');
  fail(source, FIELD, `${prefix}: the correlations among ${names} are inconsistent (matrix not positive semi-definite)`);
}

/**
 * An inclusion-minimal set of rows whose principal submatrix is not positive semi-definite, in
 * matrix order. Start from the leading block 0..failAt (not PSD: the factorisation failed there)
 * restricted to the rows connected to row failAt through non-zero correlations inside the block (a
 * block-diagonal matrix is PSD exactly when each block is), then drop rows one at a time, from the
 * first, whenever the rest is still not PSD (one pass suffices: a row whose removal leaves a PSD set
 * stays needed, since every subset of a PSD set is PSD). Components of more than MINIMISE_LIMIT
 * rows are named whole.
 */
function offendingSubset(m: ArrayLike<number>, n: number, failAt: number): number[] {
  const notPsd = (rows: number[]): boolean => !('L' in tryCholesky(m, n, rows));
  // Connected component of failAt in the graph of non-zero correlations among rows 0..failAt.
  const inComponent = new Array<boolean>(failAt + 1).fill(false);
  inComponent[failAt] = true;
  const stack = [failAt];
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (let j = 0; j <= failAt; j++) {
      if (!inComponent[j] && m[i * n + j] !== 0) {
        inComponent[j] = true;
        stack.push(j);
      }
    }
  }
  let rows: number[] = [];
  for (let i = 0; i <= failAt; i++) if (inComponent[i]) rows.push(i);
  if (!notPsd(rows)) {
    // Cannot happen in exact arithmetic; fall back to the whole leading block.
    rows = Array.from({ length: failAt + 1 }, (_, i) => i);
  }
  // Each test is a factorisation of at most |rows| rows: cap the work for very large components.
  if (rows.length > MINIMISE_LIMIT) return rows;
  for (let p = 0; p < rows.length && rows.length > 2; ) {
    const fewer = rows.filter((_, q) => q !== p);
    if (notPsd(fewer)) rows = fewer;
    else p++;
  }
  return rows;
}
