// Anti-procyclicality buffer on the margin (EMIR RTS 153/2013 art. 28(1)(a)) and the grid's
// `marginMultiplier` that carries it (docs/dim.md section 4(a)).
//
// The buffer multiplies the computed margin: initial = marginMultiplier * sum_g max(R_g, M_g),
// maintenance = maintenanceRatio * initial. Checked here against the same grid without the
// multiplier, on portfolios whose margin is not linear in the scan range (a long straddle, a short
// call about to expire), where a buffer on the scan range gives a different ratio. Tolerance: 4
// ulps relative (one product by the multiplier, against a model that computes the same sum).
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { InputError } from '../src/errors.js';
import { validateGrid } from '../src/market/grid-spec.js';
import { parseMarket } from '../src/market/load.js';
import { createMarginModel } from '../src/models/create.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { packageFile } from '../src/paths.js';

const ULP4 = 4 * Number.EPSILON;
const exampleText = readFileSync(packageFile('examples', 'market.json'), 'utf8');
const example = parseMarket(exampleText, 'examples/market.json');
const rawGrid = JSON.parse(exampleText).risk.grid;
const plain = validateGrid(rawGrid, 'grid', '', example);
const buffered = validateGrid({ ...rawGrid, marginMultiplier: 1.25 }, 'grid', '', example);

const options = Object.keys(JSON.parse(exampleText).instruments).filter((k) => k.includes('-C') || k.includes('-P'));
const call = options.find((k) => k.startsWith('BTC-') && k.endsWith('-C'))!;
const put = call.replace(/-C$/, '-P');
const books = [
  { id: 'LONG_STRADDLE', positions: [{ instrument: call, quantity: 1 }, { instrument: put, quantity: 1 }] },
  { id: 'SHORT_CALL', positions: [{ instrument: call, quantity: -1 }] },
  { id: 'MIXED', positions: [{ instrument: 'BTC-PERP', quantity: -2 }, { instrument: put, quantity: 3 }, { instrument: 'ETH-PERP', quantity: 5 }] },
];

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

describe('marginMultiplier: the buffer applied to the computed margin', () => {
  test('initial and maintenance are exactly 1.25 x the unbuffered margin, the group breakdown unchanged', () => {
    const m0 = createMarginModel(example, { grid: plain });
    const m1 = createMarginModel(example, { grid: buffered });
    for (const p of books) {
      const r0 = m0.margin(p), r1 = m1.margin(p);
      expect(r0.ok && r1.ok, `${p.id}: ${JSON.stringify([r0, r1])}`).toBe(true);
      if (!r0.ok || !r1.ok) continue;
      expect(r0.initialMargin, p.id).toBeGreaterThan(0);
      expect(rel(r1.initialMargin, 1.25 * r0.initialMargin), `${p.id} initial`).toBeLessThanOrEqual(ULP4);
      expect(rel(r1.maintenanceMargin, 1.25 * r0.maintenanceMargin), `${p.id} maintenance`).toBeLessThanOrEqual(ULP4);
      expect(r1.groups).toEqual(r0.groups);
      // The plain-TypeScript twin agrees.
      const ref = referenceGridMargin(example, buffered, p.positions);
      expect(rel(ref.initialMargin, r1.initialMargin), `${p.id} reference`).toBeLessThanOrEqual(1e-12);
    }
  });

  test('Euler shares sum to the buffered margin and are 1.25 x the unbuffered shares', () => {
    const m0 = createMarginModel(example, { grid: plain, allocation: true });
    const m1 = createMarginModel(example, { grid: buffered, allocation: true });
    for (const p of books) {
      const r0 = m0.margin(p), r1 = m1.margin(p);
      if (!r0.ok || !r1.ok) throw new Error(p.id);
      const s0 = r0.allocation!, s1 = r1.allocation!;
      const sum = s1.reduce((s, x) => s + x.initialMargin, 0);
      expect(rel(sum, r1.initialMargin), `${p.id} sum of shares`).toBeLessThanOrEqual(1e-12);
      s1.forEach((x, i) => expect(Math.abs(x.initialMargin - 1.25 * s0[i].initialMargin)).toBeLessThanOrEqual(ULP4 * Math.abs(s1[i].initialMargin)));
    }
  });

  test('validation: a number >= 1', () => {
    expect(() => validateGrid({ ...rawGrid, marginMultiplier: 0.9 }, 'g.json', '')).toThrow(/g\.json: marginMultiplier: expected a number >= 1/);
    expect(() => validateGrid({ ...rawGrid, marginMultiplier: 'x' }, 'g.json', '')).toThrow(InputError);
    expect(validateGrid(rawGrid, 'g.json', '').marginMultiplier).toBeUndefined();
  });
});
