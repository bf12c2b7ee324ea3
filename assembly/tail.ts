// Value-at-risk and expected shortfall of a vector of scenario losses (docs/methods.md §7).
//
// With n losses, confidence c and k = n (1 - c), and the losses sorted from the largest,
// L(1) >= L(2) >= ...:
//   VaR = L(ceil k),   ES = ( sum_{i <= floor k} L(i) + (k - floor k) L(floor k + 1) ) / k
// (C. Acerbi, D. Tasche, "On the coherence of expected shortfall", J. Banking & Finance 26 (2002)).
// With m = ceil k and w = k - (m - 1) in (0, 1] both cases (k integer or not) read
//   ES = ( sum_{i < m} L(i) + w L(m) ) / k,
// which is what is computed. k is first snapped to the nearest integer when it is within
// 1e-9 max(1, k) of it (so 10000 * (1 - 0.975) = 250.00000000000023 counts as 250, as a risk
// manager expects); src/reference/tail.ts defines the same rule.
//
// Only the m largest losses are needed. For a large n and a small tail a prefilter first moves the
// losses above a threshold taken from a strided sample to the front (one pass of comparisons; see
// prefilter), so that selection runs on a few times m losses instead of n. Then an introselect
// (deterministic pivots: median of three, switching for good to the median of medians of five
// whenever two partition rounds have not halved the range, so the expected and worst-case time are
// both linear; each round a three-way partition in branch-free passes) moves the m-th largest loss
// to position m - 1 with every larger-or-equal loss before it. The sum over positions 0..m-2 is
// compensated (Neumaier), so the order of the tail inside the buffer matters only in the last bits.
//
// The losses buffer is reordered in place (a permutation of its input).

import { STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, TAIL_VAR, TAIL_ES, TAIL_K, TAIL_M } from './layout';

/** Below this range size selection finishes with an insertion sort. */
const SMALL: i32 = 16;
/** Snapping tolerance for k, relative to max(1, k). */
const K_SNAP: f64 = 1e-9;

// @ts-ignore: decorator
@inline function ld(a: usize, i: i32): f64 { return load<f64>(a + (<usize>i << 3)); }

// @ts-ignore: decorator
@inline function swap(a: usize, idx: usize, withIdx: bool, i: i32, j: i32): void {
  const pi = a + (<usize>i << 3);
  const pj = a + (<usize>j << 3);
  const t = load<f64>(pi);
  store<f64>(pi, load<f64>(pj));
  store<f64>(pj, t);
  if (withIdx) {
    const qi = idx + (<usize>i << 2);
    const qj = idx + (<usize>j << 2);
    const ti = load<i32>(qi);
    store<i32>(qi, load<i32>(qj));
    store<i32>(qj, ti);
  }
}

/** Sorts positions lo..hi (inclusive) from the largest, by insertion. */
function insertionDesc(a: usize, idx: usize, withIdx: bool, lo: i32, hi: i32): void {
  for (let i = lo + 1; i <= hi; i++) {
    for (let j = i; j > lo && ld(a, j) > ld(a, j - 1); j--) swap(a, idx, withIdx, j, j - 1);
  }
}

/** The median of three values. */
// @ts-ignore: decorator
@inline function median3(x: f64, y: f64, z: f64): f64 {
  if (x < y) {
    if (y < z) return y;
    return x < z ? z : x;
  }
  if (x < z) return x;
  return y < z ? z : y;
}

/**
 * Median of medians of groups of five of positions lo..hi (moves the group medians to the front of
 * the range and selects their median there); returns its value.
 */
function medianOfMedians(a: usize, idx: usize, withIdx: bool, lo: i32, hi: i32): f64 {
  let front = lo;
  for (let g = lo; g <= hi; g += 5) {
    const end = g + 4 <= hi ? g + 4 : hi;
    insertionDesc(a, idx, withIdx, g, end);
    swap(a, idx, withIdx, front, g + ((end - g) >> 1));
    front++;
  }
  const mid = lo + ((front - 1 - lo) >> 1);
  selectDesc(a, idx, withIdx, lo, front - 1, mid);
  return ld(a, mid);
}

/**
 * Reorders positions lo..hi (inclusive) so that position `target` holds the value it would have if
 * the range were sorted from the largest, every position before it a value >= it and every position
 * after it a value <= it. The values must compare (no NaN: the callers check them first).
 */
function selectDesc(a: usize, idx: usize, withIdx: bool, lo: i32, hi: i32, target: i32): void {
  let useMedians = false;
  let rounds = 0;
  let checkpoint = hi - lo + 1;
  while (hi - lo + 1 > SMALL) {
    const p = useMedians
      ? medianOfMedians(a, idx, withIdx, lo, hi)
      : median3(ld(a, lo), ld(a, lo + ((hi - lo) >> 1)), ld(a, hi));
    // Three-way partition in two branch-free passes (every element is swapped, the index advances by
    // the comparison: no unpredictable branch): first [lo, lt) > p and [lt, hi] <= p; then, only
    // when the target is in the second part, [lt, eq) == p and [eq, hi] < p. Each pass keeps its
    // invariant because the element swapped back to position i is one already known to be on the
    // far side (or i itself). p is a value of the range, so the middle part is never empty and the
    // range shrinks every round.
    let lt = lo;
    for (let i = lo; i <= hi; i++) {
      const v = ld(a, i);
      swap(a, idx, withIdx, lt, i);
      lt += <i32>(v > p);
    }
    if (target < lt) {
      hi = lt - 1;
    } else {
      let eq = lt;
      for (let i = lt; i <= hi; i++) {
        const v = ld(a, i);
        swap(a, idx, withIdx, eq, i);
        eq += <i32>(v >= p);
      }
      if (target < eq) return;
      lo = eq;
    }
    if (++rounds == 2) {
      const size = hi - lo + 1;
      if (size > (checkpoint >> 1)) useMedians = true;
      checkpoint = size;
      rounds = 0;
    }
  }
  if (hi > lo) insertionDesc(a, idx, withIdx, lo, hi);
}

/** Sample size of the prefilter; it runs when n >= 4 SAMPLE and m <= n / 8. */
const SAMPLE: i32 = 512;

// @ts-ignore: decorator
@inline function prefilterApplies(n: i32, m: i32): bool { return n >= 4 * SAMPLE && m <= (n >> 3); }

/**
 * The prefilter: a threshold t from a strided sample of SAMPLE losses (moved to the front; the
 * sample's loss of 0-based rank r from the largest, r about 4 standard deviations past the sample
 * rank of the m-th largest loss), then one pass that moves every loss >= t to the front. Returns
 * how many losses are >= t (they are at positions 0..j-1), or -1 when a loss is NaN or infinite
 * (the sample is checked before it is selected from, then every loss in the partition pass).
 * When j >= m the m largest losses are among the first j (the m-th largest is >= t), so selection
 * runs on j losses instead of n (about 2.4 m for 10,000 losses at 97.5 %); when the sample misled
 * (j < m) selection runs on all n, which is what makes the prefilter exact whatever the input.
 * Every move is a swap: the buffer stays a permutation of its input.
 */
function prefilter(a: usize, idx: usize, withIdx: bool, n: i32, m: i32): i32 {
  for (let i = 0; i < SAMPLE; i++) {
    swap(a, idx, withIdx, i, <i32>((<i64>i * <i64>n) / <i64>SAMPLE));
    const v = ld(a, i);
    if (!(v - v == 0.0)) return -1; // selection needs comparable values (a NaN pivot would never shrink the range)
  }
  const e = (<f64>m * <f64>SAMPLE) / <f64>n;
  const r = <i32>(e + 4.0 * Math.sqrt(e) + 4.0);
  selectDesc(a, idx, withIdx, 0, SAMPLE - 1, r);
  const t = ld(a, r);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = ld(a, i);
    if (!(v - v == 0.0)) return -1; // NaN or infinite (checked here rather than in a pass of its own)
    if (v >= t) {
      swap(a, idx, withIdx, j, i);
      j++;
    }
  }
  return j;
}

/** Shared body of esTail and esTailIndex. */
function tail(losses: usize, index: usize, withIdx: bool, n: i32, confidence: f64, out: usize): i32 {
  if (n < 1 || !(confidence > 0.0) || !(confidence < 1.0)) return STATUS_BAD_ARGUMENT;
  let k = <f64>n * (1.0 - confidence);
  const kr = Math.floor(k + 0.5);
  if (kr >= 1.0 && Math.abs(k - kr) <= K_SNAP * Math.max(1.0, k)) k = kr;
  let m = <i32>Math.ceil(k);
  if (m < 1) m = 1;
  if (m > n) m = n;
  const w = k - <f64>(m - 1);
  const filtered = prefilterApplies(n, m);
  if (!filtered) {
    for (let i = 0; i < n; i++) {
      const v = ld(losses, i);
      if (!(v - v == 0.0)) return STATUS_NOT_FINITE; // NaN or infinite
    }
  }
  if (withIdx) for (let i = 0; i < n; i++) store<i32>(index + (<usize>i << 2), i);
  let front = n;
  if (filtered) {
    front = prefilter(losses, index, withIdx, n, m);
    if (front < 0) return STATUS_NOT_FINITE;
  }
  selectDesc(losses, index, withIdx, 0, (front >= m ? front : n) - 1, m - 1);
  const varValue = ld(losses, m - 1);
  // Neumaier summation of L(1..m-1) and w L(m).
  let s = 0.0;
  let c = 0.0;
  for (let i = 0; i < m; i++) {
    const x = i < m - 1 ? ld(losses, i) : w * varValue;
    const t = s + x;
    if (Math.abs(s) >= Math.abs(x)) c += (s - t) + x;
    else c += (x - t) + s;
    s = t;
  }
  store<f64>(out + (<usize>TAIL_VAR << 3), varValue);
  // m = 1 (k <= 1): ES is L(1) itself, without the rounding of (k L(1)) / k.
  store<f64>(out + (<usize>TAIL_ES << 3), m == 1 ? varValue : (s + c) / k);
  store<f64>(out + (<usize>TAIL_K << 3), k);
  store<f64>(out + (<usize>TAIL_M << 3), <f64>m);
  return STATUS_OK;
}

/**
 * VaR and expected shortfall (Acerbi-Tasche, see the file comment) of the n losses at `losses`
 * (f64, currency units, positive = loss) at `confidence` in (0, 1). Writes 4 f64 at out:
 * out[0] = VaR = L(m), out[1] = ES, out[2] = k (after snapping), out[3] = m = ceil k (clamped to
 * 1..n). k < 1 gives m = 1: VaR = ES = the largest loss. Reorders the losses in place (after the
 * call positions 0..m-1 hold the m largest losses, L(m) at m - 1). Linear time, no allocation.
 * Returns 0; or, with out untouched (the losses may have been reordered), 1 (STATUS_BAD_ARGUMENT)
 * when n < 1 or confidence is not inside (0, 1), 2 (STATUS_NOT_FINITE) when a loss is NaN or
 * infinite.
 */
export function esTail(losses: usize, n: i32, confidence: f64, out: usize): i32 {
  return tail(losses, 0, false, n, confidence, out);
}

/**
 * As esTail, and also fills `index` (n i32 of scratch) so that index[j] is the original position of
 * the loss now at position j: index[0..m) are the tail scenarios, with weight 1 for positions
 * 0..m-2 and weight w = k - (m - 1) = out[2] - out[3] + 1 for position m - 1, so that
 * ES = ( sum_{j < m - 1} L[index[j]] + w L[index[m - 1]] ) / k; the same weights give each
 * position's share of ES (Euler allocation) from its own scenario losses. Among tied losses at the
 * VaR the choice of scenarios is deterministic (a function of the input order). Same status as esTail.
 */
export function esTailIndex(losses: usize, index: usize, n: i32, confidence: f64, out: usize): i32 {
  return tail(losses, index, true, n, confidence, out);
}
