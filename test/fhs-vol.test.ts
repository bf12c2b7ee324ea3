// Vol moves in filtered historical simulation (docs/methods.md §9.3): a history with the implied
// vol column (date,underlying,price,vol) moves each underlying's option vols by the filtered log
// change of its historical vol over the horizon, on the same dates as its price.
//
// Reference: the EWMA filter and the h-day sums written out again here, from the formulas of
// §9.3, on the vol series (not the code under test). Tolerances: vol moves within 1e-12 relative
// of that reference (one libm exp and log each); spot moves, and margins across threads, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMarket } from '../src/market/load.js';
import { parseHistoryCsv } from '../src/history/parse.js';
import { buildFhsScenarios } from '../src/scenarios/fhs.js';
import { createFhsModel } from '../src/models/fhs.js';
import { createBatchEngine, type BatchEngine } from '../src/batch/engine.js';
import { runBacktest } from '../src/backtest/run.js';
import { Rng } from './helpers/random.js';
import { END, days } from './helpers/history.js';

const N = 160;

function paths(seed: number): { BTC: number[]; ETH: number[]; vBTC: number[]; vETH: number[] } {
  const rng = new Rng(seed);
  const out = { BTC: [97000], ETH: [3100], vBTC: [0.55], vETH: [0.7] };
  for (let t = 1; t < N; t++) {
    const z = rng.normal(), w = rng.normal();
    const sd = t > 100 ? 0.05 : 0.02; // a calm then a wild period, so the filter matters
    out.BTC.push(out.BTC[t - 1] * Math.exp(sd * z));
    out.ETH.push(out.ETH[t - 1] * Math.exp(sd * (0.8 * z + 0.6 * rng.normal())));
    out.vBTC.push(out.vBTC[t - 1] * Math.exp(0.04 * (-0.6 * z + 0.8 * w)));
    out.vETH.push(out.vETH[t - 1] * Math.exp(0.05 * rng.normal()));
  }
  return out;
}

/** The history CSV of the paths, on the first `n` of the N dates. */
function historyCsv(p: ReturnType<typeof paths>, withVol: boolean, n = N): string {
  const lines = [withVol ? 'date,underlying,price,vol' : 'date,underlying,price'];
  days(N).slice(0, n).forEach((d, t) => {
    lines.push(`${d},BTC,${p.BTC[t]}${withVol ? `,${p.vBTC[t]}` : ''}`);
    lines.push(`${d},ETH,${p.ETH[t]}${withVol ? `,${p.vETH[t]}` : ''}`);
  });
  return lines.join('\n') + '\n';
}

function market(fhs: Record<string, unknown>) {
  return resolveMarket({
    asOf: `${END}T00:00:00Z`, currency: 'USD',
    underlyings: { BTC: { spot: 97000, rate: 0.04 }, ETH: { spot: 3100, rate: 0.04 } },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 97000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'BTC-P': { kind: 'option', underlying: 'BTC', right: 'put', strike: 97000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'ETH-C': { kind: 'option', underlying: 'ETH', right: 'call', strike: 3500, expiry: '2027-03-26T00:00:00Z', vol: 0.7 },
    },
    risk: { fhs: { confidence: 0.975, horizonDays: 3, seedReturns: 20, lambda: 0.94, ...fhs } },
  } as never, 'm.json');
}

/** §9.3 on one series: exp(R) of the filtered scenarios (the last `count`), then the stressed ones. */
function referenceMoves(x: number[], lambda: number, m: number, h: number, overlapping: boolean, count: number, stressedT: number[]): number[] {
  const r = x.slice(1).map((v, i) => Math.log(v / x[i]));
  const n = r.length;
  const v: number[] = [];
  v[m] = r.slice(0, m).reduce((a, b) => a + b * b, 0) / m;
  for (let i = m; i < n; i++) v[i + 1] = lambda * v[i] + (1 - lambda) * r[i] * r[i];
  const f = (i: number) => r[i] * Math.sqrt(v[n] / v[i]);
  const out: number[] = [];
  for (let i = n - count; i < n; i++) {
    let R = 0;
    if (overlapping) for (let j = i - h + 1; j <= i; j++) R += f(j);
    else R = Math.sqrt(h) * f(i);
    out.push(Math.exp(R));
  }
  for (const t of stressedT) out.push(Math.exp(overlapping ? Math.log(x[t] / x[t - h]) : Math.sqrt(h) * r[t - 1]));
  return out;
}

describe('fhs vol moves', () => {
  const p = paths(5);

  it('reads the vol column; refuses a bad vol naming the row; a price-only history has no vols', () => {
    const hv = parseHistoryCsv(historyCsv(p, true), 'h.csv');
    expect(Array.from(hv.series.get('BTC')!.vols!)).toEqual(p.vBTC);
    expect(parseHistoryCsv(historyCsv(p, false), 'h.csv').series.get('BTC')!.vols).toBeUndefined();
    expect(() => parseHistoryCsv('date,underlying,price,vol\n2026-11-19,BTC,97000,0\n', 'h.csv'))
      .toThrow('h.csv: row 2: vol: expected the implied vol of BTC on 2026-11-19, a decimal number > 0 (0.6 is 60 %), got "0"');
    expect(() => parseHistoryCsv('date,underlying,price,vol\n2026-11-19,BTC,97000\n', 'h.csv'))
      .toThrow('h.csv: row 2: expected 4 fields (date,underlying,price,vol), got 3');
  });

  for (const horizonMethod of ['overlapping', 'sqrt'] as const) {
    it(`vol moves are the filtered log vol changes over the horizon, on the price's dates (${horizonMethod}, with a stressed period)`, () => {
      const dates = days(N);
      const spec = { horizonMethod, lookback: 100, stressedPeriod: { from: dates[110], to: dates[119] } };
      const mk = market(spec);
      const withVol = buildFhsScenarios(mk, mk.risk.fhs!, parseHistoryCsv(historyCsv(p, true), 'h.csv'));
      const plain = buildFhsScenarios(mk, mk.risk.fhs!, parseHistoryCsv(historyCsv(p, false), 'h.csv'));
      expect(Buffer.from(withVol.spotMult.buffer).equals(Buffer.from(plain.spotMult.buffer))).toBe(true);
      expect(plain.volShock.every((x) => x === 0)).toBe(true);
      expect(withVol.dates).toEqual(plain.dates);
      const stressedT = Array.from({ length: 10 }, (_, k) => 110 + k);
      const ov = horizonMethod === 'overlapping';
      for (const [u, series] of [[0, p.vBTC], [1, p.vETH]] as const) {
        const want = referenceMoves(series, 0.94, 20, 3, ov, 100, stressedT);
        expect(want.length).toBe(withVol.nScen);
        let worst = 0;
        for (let s = 0; s < withVol.nScen; s++) worst = Math.max(worst, Math.abs(1 + withVol.volShock[u * withVol.stride + s] - want[s]) / want[s]);
        expect(worst).toBeLessThan(1e-12);
        // and the spot moves follow the same formulas on the prices
        const spot = referenceMoves(u === 0 ? p.BTC : p.ETH, 0.94, 20, 3, ov, 100, stressedT);
        for (let s = 0; s < withVol.nScen; s++) expect(Math.abs(withVol.spotMult[u * withVol.stride + s] / spot[s] - 1)).toBeLessThan(1e-12);
      }
    });
  }

  it('a vol that never moves in the seed is an error naming the underlying and the date', () => {
    const q = { ...p, vETH: p.vETH.map(() => 0.7) };
    const mk = market({});
    expect(() => buildFhsScenarios(mk, mk.risk.fhs!, parseHistoryCsv(historyCsv(q, true), 'h.csv')))
      .toThrow(`h.csv: ETH: the EWMA variance of the implied vol is 0 on ${days(N)[20]} (the vol did not move in the 20 seed returns or since)`);
  });

  const engines: BatchEngine[] = [];
  afterAll(async () => { for (const e of engines) await e.close(); });
  it('the batch engine margins bit for bit as in-process with threads 1 and 2, and the vols change the margins', async () => {
    const mk = market({});
    const history = historyCsv(p, true);
    const portfolios = [
      { id: 'straddle', positions: [{ instrument: 'BTC-C', quantity: 1 }, { instrument: 'BTC-P', quantity: 1 }] },
      { id: 'short', positions: [{ instrument: 'BTC-C', quantity: -2 }, { instrument: 'ETH-C', quantity: -5 }] },
      { id: 'mixed', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-P', quantity: 2 }] },
    ];
    const want = createFhsModel(mk, { history }).marginAll(portfolios);
    expect(want).not.toEqual(createFhsModel(mk, { history: historyCsv(p, false) }).marginAll(portfolios));
    for (const threads of [1, 2]) {
      const e = await createBatchEngine({ market: mk, method: 'fhs', history: parseHistoryCsv(history, 'history.csv'), threads });
      engines.push(e);
      expect(await e.marginAll(portfolios)).toEqual(want);
    }
  });

  it('a backtest margins each date with the vol moves of the history up to that date', async () => {
    const mk = market({ lookback: 60, horizonMethod: 'overlapping' });
    const history = parseHistoryCsv(historyCsv(p, true), 'h.csv');
    const positions = [{ instrument: 'BTC-C', quantity: -2 }, { instrument: 'ETH-C', quantity: -5 }, { instrument: 'BTC-PERP', quantity: 1 }];
    const rep = await runBacktest(mk, [{ id: 'p', positions }], { method: 'fhs', history, step: 9 });
    const plain = await runBacktest(mk, [{ id: 'p', positions }], { method: 'fhs', history: parseHistoryCsv(historyCsv(p, false), 'h.csv'), step: 9 });
    const r = rep.portfolios[0], q = plain.portfolios[0];
    if (!r.ok || !q.ok) throw new Error('expected ok rows');
    expect(rep.dates.length).toBeGreaterThan(3);
    expect(Array.from(r.margins)).not.toEqual(Array.from(q.margins));
    for (let k = 0; k < rep.dates.length; k++) {
      const t = days(N).indexOf(rep.dates[k]);
      const direct = createFhsModel(mk, { history: historyCsv(p, true, t + 1) }).margin({ id: 'p', positions });
      if (!direct.ok) throw new Error(direct.message);
      expect(r.margins[k], rep.dates[k]).toBe(direct.initialMargin);
    }
  });
});
