/**
 * Progress of a batch run: how much of it is done and the time left, from the work done (the
 * portfolios margined), not from the input read ahead of the workers. Pure functions, so the
 * arithmetic is tested with made-up clocks.
 */

export interface ProgressInput {
  /** Portfolios margined so far. */
  margined: number;
  /** Portfolios read so far, and the bytes they took. */
  read: number;
  bytes: number;
  /** The input's size in bytes, when known (a file). */
  totalBytes?: number;
  elapsedMs: number;
}

export interface ProgressEstimate {
  /** The share of the run done, 0..1: margined / (portfolios the input holds). */
  fraction?: number;
  /** Time left at the rate so far: elapsed x (1 - fraction) / fraction. */
  etaMs?: number;
}

/**
 * The portfolios the input holds are estimated from the bytes per portfolio read so far
 * (read x totalBytes / bytes); the share done is the portfolios margined against that. Nothing is
 * estimated before the first portfolio is margined, or without the input's size.
 */
export function estimateProgress(p: ProgressInput): ProgressEstimate {
  if (!p.totalBytes || p.bytes <= 0 || p.read <= 0) return {};
  const expected = Math.max(p.read, (p.read * p.totalBytes) / p.bytes);
  const fraction = Math.min(1, p.margined / expected);
  if (fraction <= 0) return { fraction: 0 };
  return { fraction, etaMs: (p.elapsedMs * (1 - fraction)) / fraction };
}
