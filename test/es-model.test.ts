// Monte Carlo expected-shortfall margin through the public model (docs/methods.md §8): closed
// forms, convergence, coherence on shared scenarios, determinism.
import { describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createEsModel } from '../src/models/tail.js';
import type { MarketInput } from '../src/market/types.js';
import type { MarginOk, MarginResult } from '../src/results.js';
import { normCdfRef } from '../src/reference/normal.js';
import { normInv } from '../src/reference/rng.js';
import { esTailRef } from '../src/reference/tail.js';
import { cubeView } from '../src/cube/cube.js';
import { Rng } from './helpers/random.js';
import { ok } from './helpers/results.js';


function market(es: Record<string, unknown>, extra: Partial<MarketInput> = {}): MarketInput {
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: { BTC: { spot: 97000, rate: 0.04, vol: 0.6, group: 'CRYPTO' }, ETH: { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' } },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 90000, expiry: '2026-12-26T00:00:00Z', vol: 0.6 },
      'ETH-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 3500, expiry: '2027-03-26T00:00:00Z', vol: 0.7 },
    },
    ...extra,
    risk: { es: { confidence: 0.975, horizonDays: 2, scenarios: 10000, seed: 1, distribution: 'normal', ...es } },
  } as MarketInput;
}

/**
 * ES of the loss S (1 - e^{aZ}) of one long unit, Z standard normal, a = vol sqrt(h/365):
 * E[S (1 - e^{aZ}) | Z <= -z] = S (1 - e^{a^2/2} Phi(-z - a) / (1 - alpha)), z = Phi^{-1}(alpha).
 */
function lognormalEs(S: number, vol: number, hDays: number, alpha: number): number {
  const a = vol * Math.sqrt(hDays / 365);
  const z = normInv(alpha);
  return S * (1 - Math.exp(a * a / 2) * normCdfRef(-z - a) / (1 - alpha));
}

describe('es margin: closed forms', () => {
  for (const alpha of [0.975, 0.99]) {
    it(`a long perpetual under the normal model matches the lognormal tail expectation at ${alpha}`, () => {
      const N = 200000;
      const m = createEsModel(resolveMarket(market({ scenarios: N, confidence: alpha, seed: 7 }), 'cf.json'));
      const r = ok(m.margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }));
      const exact = lognormalEs(97000, 0.6, 2, alpha);
      // Standard error of the ES estimator (Yamai-Yoshiba asymptotics), from the closed-form tail:
      // sqrt((Var(L | tail) + alpha (ES - VaR)^2) / (N (1 - alpha))); bounded here by the
      // simpler (ES - VaR) * sqrt(2 / (N (1 - alpha))) * 3 for the thin normal tail.
      const se = (exact - r.var!) * Math.sqrt(2 / (N * (1 - alpha))) * 3;
      expect(Math.abs(r.es! - exact), `es ${r.es} exact ${exact} se ${se}`).toBeLessThan(4 * se);
      expect(r.initialMargin).toBe(r.es);
    });
  }

  it('a short perpetual has the upper-tail ES: S (e^{a^2/2} Phi(z + a)... ) within sampling error', () => {
    const N = 200000, alpha = 0.99;
    const m = createEsModel(resolveMarket(market({ scenarios: N, confidence: alpha, seed: 11 }), 'cf.json'));
    const r = ok(m.margin({ id: 'S', positions: [{ instrument: 'BTC-PERP', quantity: -1 }] }));
    // Loss S (e^{aZ} - 1) on Z >= z: S (e^{a^2/2} Phi(a - z) / (1 - alpha) - 1).
    const a = 0.6 * Math.sqrt(2 / 365), z = normInv(alpha);
    const exact = 97000 * (Math.exp(a * a / 2) * normCdfRef(a - z) / (1 - alpha) - 1);
    const se = (exact - r.var!) * Math.sqrt(2 / (N * (1 - alpha))) * 3;
    expect(Math.abs(r.es! - exact), `es ${r.es} exact ${exact}`).toBeLessThan(4 * se);
  });
});

describe('es margin: convergence', () => {
  it('the error against the closed form shrinks like 1/sqrt(N)', () => {
    const exact = lognormalEs(97000, 0.6, 2, 0.975);
    const rmse = (N: number) => {
      let s2 = 0;
      const seeds = 24;
      for (let seed = 1; seed <= seeds; seed++) {
        const m = createEsModel(resolveMarket(market({ scenarios: N, seed }), 'conv.json'));
        const e = ok(m.margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] })).es! - exact;
        s2 += e * e;
      }
      return Math.sqrt(s2 / seeds);
    };
    const e1 = rmse(2000), e2 = rmse(32000);
    // 16x the scenarios: 4x smaller error at the 1/sqrt(N) rate; with 24 seeds the RMSE ratio
    // has a sampling spread of roughly +-30 %, so accept 2.5..6.5.
    const ratio = e1 / e2;
    expect(ratio, `rmse ${e1} at 2000, ${e2} at 32000`).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(6.5);
  });
});

describe('es margin: coherence and determinism on shared scenarios', () => {
  const mk = () => createEsModel(resolveMarket(market({ distribution: 'student-t', degreesOfFreedom: 5, correlations: [['BTC', 'ETH', 0.8]] }), 'coh.json'));
  const model = mk();
  const ids = model.market.instruments.ids;
  const rng = new Rng(3);
  const book = Array.from({ length: 30 }, () => Array.from({ length: rng.int(1, 6) }, () => ({
    instrument: rng.pick(ids), quantity: rng.uniform(-5, 5) })));

  it('is sub-additive and positively homogeneous', () => {
    for (let i = 0; i + 1 < book.length; i += 2) {
      const a = ok(model.margin({ id: 'a', positions: book[i] })).es!;
      const b = ok(model.margin({ id: 'b', positions: book[i + 1] })).es!;
      const ab = ok(model.margin({ id: 'ab', positions: [...book[i], ...book[i + 1]] })).es!;
      expect(ab).toBeLessThanOrEqual(a + b + 1e-9 * (Math.abs(a) + Math.abs(b)));
      const k = 2.5;
      const ka = ok(model.margin({ id: 'ka', positions: book[i].map((p) => ({ ...p, quantity: k * p.quantity })) })).es!;
      expect(Math.abs(ka - k * a)).toBeLessThanOrEqual(1e-9 * Math.abs(k * a));
    }
  });

  it('gives a perfectly hedged portfolio zero margin', () => {
    const r = ok(model.margin({ id: 'h', positions: [{ instrument: 'BTC-C', quantity: 3 }, { instrument: 'BTC-C', quantity: -3 }] }));
    expect(r.initialMargin).toBe(0);
  });

  it('equals the reference tail of the same loss vector', () => {
    // The loss vector rebuilt in TypeScript from the cube, and the sort-based twin of the tail.
    const cube = cubeView(model.cube);
    const positions = book[0];
    const losses = new Float64Array(model.scenarios.nScen);
    for (const p of positions) {
      const i = model.market.instruments.index.get(p.instrument)!;
      // The cube is blocked by underlying: instrument i is row cube.row[i].
      for (let s = 0; s < losses.length; s++) losses[s] -= p.quantity * cube[model.cube.row[i] * model.scenarios.stride + s];
    }
    const want = esTailRef(losses, 0.975);
    const got = ok(model.margin({ id: 'x', positions }));
    expect(Math.abs(got.es! - want.es)).toBeLessThanOrEqual(1e-9 * Math.abs(want.es));
    expect(Math.abs(got.var! - want.var)).toBeLessThanOrEqual(1e-9 * Math.abs(want.var));
  });

  it('gives identical bytes from a second model and in any batch order', () => {
    const again = mk();
    const first = book.map((positions, i) => model.margin({ id: `p${i}`, positions }));
    const reversed = [...book].reverse().map((positions, i) => again.margin({ id: `p${book.length - 1 - i}`, positions })).reverse();
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(first));
  });
});
