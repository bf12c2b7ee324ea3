// Vol moves in Monte Carlo expected shortfall (docs/methods.md §8.2): an underlying's `volOfVol`
// adds its vol factor "U.vol" after the underlyings, and every option on it moves to
// vol' = vol exp(a z - a^2/2), a = volOfVol sqrt(h/365).
//
// References computed here, independently of the code under test: the 2 x 2 Cholesky factor
// [[1, 0], [rho, sqrt(1 - rho^2)]] in closed form; the draws of the twin generator
// (src/reference/shocks.ts); the BSM vega S e^{-qT} phi(d1) sqrt(T) (Hull, Options, Futures and
// Other Derivatives, 19.12). Tolerances: per-scenario vol moves within 1e-12 relative of the
// twin's (runtimes' exp/log may differ in the last ulp); sample correlation within 5 standard
// errors (1 - rho^2) / sqrt(N); sample moments within 5 standard errors; spot moves and margins
// with and without vol factors, and across threads, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { createEsModel } from '../src/models/tail.js';
import { buildMonteCarloScenarios } from '../src/scenarios/monte-carlo.js';
import { createBatchEngine, type BatchEngine } from '../src/batch/engine.js';
import { esShocksRef } from '../src/reference/shocks.js';
import { instantiateKernels } from '../src/wasm/module.js';
import { Arena } from '../src/wasm/arena.js';
import type { MarketInput } from '../src/market/types.js';
import { ok } from './helpers/results.js';

const arena = new Arena(instantiateKernels());
const H = 2;

function market(opts: { btcVol?: number; btcVov?: number; ethVov?: number; corr?: [string, string, number][]; es?: Record<string, unknown> } = {}): MarketInput {
  const btc: Record<string, unknown> = { spot: 97000, rate: 0.04, vol: opts.btcVol ?? 0.6, group: 'CRYPTO' };
  const eth: Record<string, unknown> = { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' };
  if (opts.btcVov !== undefined) btc.volOfVol = opts.btcVov;
  if (opts.ethVov !== undefined) eth.volOfVol = opts.ethVov;
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: { BTC: btc, ETH: eth },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 97000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 97000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'BTC-C2': { kind: 'option', underlying: 'BTC', right: 'call', strike: 97000, expiry: '2027-06-25T00:00:00Z', vol: 0.55 },
      'ETH-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 3500, expiry: '2027-03-26T00:00:00Z', vol: 0.7 },
    },
    risk: { es: { confidence: 0.975, horizonDays: H, scenarios: 20000, seed: 3, correlations: [['BTC', 'ETH', 0.7], ...(opts.corr ?? [])], ...opts.es } },
  } as unknown as MarketInput;
}

const scen = (m: MarketInput) => {
  const r = resolveMarket(m, 'm.json');
  return buildMonteCarloScenarios(arena, r, r.risk.es!);
};

describe('es vol factors: the scenarios', () => {
  for (const dist of ['normal', 'student-t'] as const) {
    it(`spot moves are bit for bit those without vol factors (${dist}); only the underlyings with a volOfVol move vols`, () => {
      const es = dist === 'normal' ? {} : { distribution: 'student-t', degreesOfFreedom: 5 };
      const base = scen(market({ es }));
      const vv = scen(market({ btcVov: 1.2, corr: [['BTC', 'BTC.vol', -0.5], ['ETH', 'BTC.vol', -0.3]], es }));
      expect(Buffer.from(vv.spotMult.buffer).equals(Buffer.from(base.spotMult.buffer))).toBe(true);
      expect(base.volShock.every((x) => x === 0)).toBe(true);
      const eth = vv.volShock.subarray(vv.stride, 2 * vv.stride);
      expect(eth.every((x) => x === 0)).toBe(true);
      const btc = vv.volShock.subarray(0, vv.nScen);
      expect(btc.some((x) => x !== 0)).toBe(true);
      expect(btc.every((x) => Number.isFinite(x) && x > -1)).toBe(true);
    });
  }

  it('each vol move is exp(a z - a^2/2) - 1 with z the twin generator\'s correlated draw (closed-form 2 x 2 Cholesky)', () => {
    const rho = -0.6, vov = 0.9, N = 4001;
    const m = market({ btcVov: vov, corr: [['BTC', 'BTC.vol', rho]], es: { scenarios: N } });
    m.risk!.es!.correlations = [['BTC', 'BTC.vol', rho]];
    delete (m.underlyings as Record<string, unknown>).ETH;
    for (const k of Object.keys(m.instruments)) if (k.startsWith('ETH')) delete (m.instruments as Record<string, unknown>)[k];
    const s = scen(m);
    const a = vov * Math.sqrt(H / 365), b = 0.6 * Math.sqrt(H / 365);
    const stride = s.stride;
    // The twin with scales 1: out = exp(z), so z = log(out), from L = [[1, 0], [rho, sqrt(1 - rho^2)]].
    const ref = esShocksRef({ seed: 3, firstScenario: 0, nScen: N, nU: 2, chol: [1, 0, rho, Math.sqrt(1 - rho * rho)], scale: [b, a], dist: 0, nu: 0, stride });
    let worst = 0;
    for (let j = 0; j < N; j++) {
      const want = ref[stride + j] * Math.exp(-a * a / 2) - 1;
      worst = Math.max(worst, Math.abs(s.volShock[j] - want) / Math.abs(1 + want));
      expect(s.spotMult[j]).toBeCloseTo(ref[j], 12);
    }
    expect(worst).toBeLessThan(1e-12);
    expect(s.volShock[N]).toBe(0); // padding column
  });

  it('the vol factor\'s sample correlation with the spot matches the input; its log sd is a; E[vol\'] = vol', () => {
    const N = 200000, rho = -0.55, vov = 1.1;
    const s = scen(market({ btcVov: vov, ethVov: 0.8, corr: [['BTC', 'BTC.vol', rho], ['ETH.vol', 'BTC.vol', 0.4]], es: { scenarios: N } }));
    const x = new Float64Array(N), y = new Float64Array(N), w = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      x[j] = Math.log(s.spotMult[j]);
      y[j] = Math.log1p(s.volShock[j]);
      w[j] = Math.log1p(s.volShock[s.stride + j]);
    }
    const mean = (v: Float64Array) => v.reduce((p, q) => p + q, 0) / v.length;
    const corr = (u: Float64Array, v: Float64Array) => {
      const mu = mean(u), mv = mean(v);
      let c = 0, su = 0, sv = 0;
      for (let j = 0; j < N; j++) { c += (u[j] - mu) * (v[j] - mv); su += (u[j] - mu) ** 2; sv += (v[j] - mv) ** 2; }
      return c / Math.sqrt(su * sv);
    };
    expect(Math.abs(corr(x, y) - rho)).toBeLessThan(5 * (1 - rho * rho) / Math.sqrt(N));
    expect(Math.abs(corr(w, y) - 0.4)).toBeLessThan(5 * (1 - 0.16) / Math.sqrt(N));
    const a = vov * Math.sqrt(H / 365);
    const my = mean(y);
    const sd = Math.sqrt(y.reduce((p, q) => p + (q - my) ** 2, 0) / (N - 1));
    expect(Math.abs(sd / a - 1)).toBeLessThan(5 / Math.sqrt(2 * N));
    // mean of vol'/vol = 1 + volShock: 1, with standard error sqrt(e^{a^2} - 1) / sqrt(N).
    const m1 = s.volShock.subarray(0, N).reduce((p, q) => p + q, 0) / N;
    expect(Math.abs(m1)).toBeLessThan(5 * Math.sqrt(Math.expm1(a * a) / N));
  });

  it('input errors name the file, the path and the value', () => {
    expect(() => resolveMarket(market({ corr: [['BTC', 'ETH.vol', 0.2]] }), 'm.json'))
      .toThrow('m.json: risk.es.correlations[1][1]: unknown vol factor "ETH.vol": underlying "ETH" has no volOfVol; the market\'s underlyings are BTC, ETH');
    expect(() => resolveMarket(market({ btcVov: -0.1 }), 'm.json'))
      .toThrow('m.json: underlyings.BTC.volOfVol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got -0.1');
    expect(() => resolveMarket(market({ btcVov: 1, corr: [['BTC', 'BTC.vol', -0.9], ['ETH', 'BTC.vol', 0.9]] }), 'm.json').risk.es)
      .not.toThrow();
    expect(() => scen(market({ btcVov: 1, corr: [['BTC', 'BTC.vol', -0.9], ['ETH', 'BTC.vol', 0.9]] })))
      .toThrow('m.json: risk.es.correlations: not a valid correlation matrix: the correlations among BTC, ETH, BTC.vol are inconsistent (matrix not positive semi-definite)');
  });
});

/** BSM vega per unit of underlying, d price / d vol (Hull 19.12). */
function vega(S: number, K: number, T: number, r: number, q: number, vol: number): number {
  const d1 = (Math.log(S / K) + (r - q + vol * vol / 2) * T) / (vol * Math.sqrt(T));
  return S * Math.exp(-q * T) * Math.exp(-d1 * d1 / 2) / Math.sqrt(2 * Math.PI) * Math.sqrt(T);
}

describe('es vol factors: margins', () => {
  const straddle = { id: 'S', positions: [{ instrument: 'BTC-C', quantity: 1 }, { instrument: 'BTC-P', quantity: 1 }] };
  const esOf = (vov: number | undefined, p: typeof straddle, btcVol?: number) =>
    ok(createEsModel(resolveMarket(market({ btcVov: vov, btcVol }), 'm.json')).margin(p)).es!;

  it('a long straddle\'s ES rises with volOfVol', () => {
    const es = [undefined, 0.5, 1, 2, 4].map((v) => esOf(v, straddle));
    for (let k = 1; k < es.length; k++) expect(es[k], `${es}`).toBeGreaterThan(es[k - 1]);
  });

  it('a vega-neutral book does not change at first order: its ES change is quadratic in volOfVol, a straddle\'s linear', () => {
    // Long one 36-day call, short n 217-day calls with n vega_1 vol = vega_2 vol (both vol 0.55,
    // the horizon's ageing taken into account): the first-order vol P&L cancels.
    const r = resolveMarket(market(), 'm.json').instruments;
    const at = (id: string) => r.index.get(id)!;
    const T1 = r.T[at('BTC-C')] - H / 365, T2 = r.T[at('BTC-C2')] - H / 365;
    const n = vega(97000, 97000, T1, 0.04, 0, 0.55) / vega(97000, 97000, T2, 0.04, 0, 0.55);
    const neutral = { id: 'N', positions: [{ instrument: 'BTC-C', quantity: 1 }, { instrument: 'BTC-C2', quantity: -n }] };
    // The spot barely moves (BTC vol 0.01), so the vol factor drives the tail and vanna plays no part.
    const d = (p: typeof straddle, v: number) => esOf(v, p, 0.01) - esOf(undefined, p, 0.01);
    // With common random numbers the straddle's ES is a smooth function of volOfVol: halving it
    // halves the (first-order, vega) change.
    const rs = d(straddle, 0.2) / d(straddle, 0.1);
    expect(Math.abs(rs - 2), `straddle ratio ${rs}`).toBeLessThan(0.3);
    // The vega-neutral book's change is what is left after the first-order vega P&L cancels (vanna
    // is negligible here, volga remains): under 1 % of that of the same book half hedged (vega
    // 0.5 vega_1), whose change is first order.
    const half = { id: 'H', positions: [{ instrument: 'BTC-C', quantity: 1 }, { instrument: 'BTC-C2', quantity: -n / 2 }] };
    for (const v of [0.2, 1]) {
      const dn = d(neutral, v), dh = d(half, v);
      expect(Math.abs(dh), `half hedged ${dh}`).toBeGreaterThan(0);
      expect(Math.abs(dn), `neutral ${dn} vs half hedged ${dh}`).toBeLessThan(0.01 * dh);
    }
  });
});

describe('es vol factors: the batch engine, threads 1 and 2', () => {
  const engines: BatchEngine[] = [];
  afterAll(async () => { for (const e of engines) await e.close(); });
  it('margins bit for bit as in-process, whatever the threads', async () => {
    const m = resolveMarket(market({ btcVov: 1.5, ethVov: 0.9, corr: [['BTC', 'BTC.vol', -0.5], ['ETH', 'ETH.vol', -0.4]] }), 'm.json');
    const ids = m.instruments.ids;
    const portfolios = Array.from({ length: 60 }, (_, k) => ({
      id: `P${k}`, positions: [{ instrument: ids[k % ids.length], quantity: (k % 7) - 3 || 1 }, { instrument: ids[(3 * k + 2) % ids.length], quantity: 2 }],
    }));
    const want = createEsModel(m).marginAll(portfolios);
    const noVov = createEsModel(resolveMarket(market({ corr: [] }), 'm.json')).marginAll(portfolios);
    expect(want).not.toEqual(noVov);
    for (const threads of [1, 2]) {
      const e = await createBatchEngine({ market: m, method: 'es', threads });
      engines.push(e);
      expect(await e.marginAll(portfolios)).toEqual(want);
    }
  });
});
