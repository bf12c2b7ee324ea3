/** Small helpers of the batch engine. */
import type { Writable } from 'node:stream';
import { KIND_CALL, KIND_PUT } from '../layout.js';
import type { ResolvedMarket } from '../market/types.js';

export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function isInputError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'InputError';
}

/** Waits for `out` to drain; rejects when it errors or closes first. */
export function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (e) reject(e); else resolve();
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(new Error('the output was closed before the run ended'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/**
 * Row ranges for the cube build: `parts` ranges of about equal cost (an option is revalued with
 * Black-Scholes-Merton in every scenario; a linear instrument costs a multiplication).
 */
export function cubeParts(market: ResolvedMarket, parts: number): [number, number][] {
  const kind = market.instruments.kind;
  const n = kind.length;
  if (n === 0) return [];
  const cost = (i: number) => (kind[i] === KIND_CALL || kind[i] === KIND_PUT ? 1 : 0.02);
  let total = 0;
  for (let i = 0; i < n; i++) total += cost(i);
  const out: [number, number][] = [];
  let first = 0, acc = 0;
  for (let i = 0; i < n; i++) {
    acc += cost(i);
    if (acc >= (total * (out.length + 1)) / parts && out.length < parts - 1) {
      out.push([first, i + 1 - first]);
      first = i + 1;
    }
  }
  if (first < n) out.push([first, n - first]);
  return out;
}
