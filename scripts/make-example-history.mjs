#!/usr/bin/env node
// Writes examples/history.csv: a synthetic, fully deterministic price history (CSV
// date,underlying,price) of every underlying of examples/market.json, for filtered historical
// simulation (--method fhs). Illustrative, not market data. Running the script again gives the
// same bytes.
//
//   npm run build && node scripts/make-example-history.mjs [out.csv]
//
// Construction:
// - Dates: every weekday (Monday to Friday, no holidays) from 2022-05-02 to the market's asOf day
//   2026-11-20, the same dates for every underlying (crypto is sampled on weekdays too, so a Monday
//   return spans the weekend).
// - Daily log returns r_t = mu_t + sigma_{u,t} z_{u,t}. The shocks z_t are multivariate Student t
//   with 5 degrees of freedom scaled to unit variance (one chi-squared draw shared by all
//   underlyings of a day), correlated with the correlation matrix of the market's risk.es block.
// - Volatility clusters: a GARCH(1,1) per underlying, sigma^2_{t+1} = omega + a (sigma_t z_t)^2 +
//   b sigma^2_t with a = 0.08, b = 0.90 and omega = (1 - a - b) vol^2 / 252, vol the underlying's
//   annualised vol in the market.
// - A stressed period, 2025-03-03 to 2025-04-30: volatilities times 2.5, correlations halfway to
//   0.9 between every pair, and a daily drift of -0.4 % (crypto) or -0.25 % (the others).
// - The path is shifted so that the last close equals the market's spot; closes are written to 8
//   significant digits.
// The random numbers come from mulberry32 seeded with 20261120 (uniforms) and Box-Muller normals.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
// The project's mulberry32, from the build (npm run build first).
import { Mulberry32 } from '../dist/src/math/random.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const market = JSON.parse(readFileSync(resolve(ROOT, 'examples', 'market.json'), 'utf8'));
const out = process.argv[2] ?? resolve(ROOT, 'examples', 'history.csv');

const START = '2022-05-02';
const END = market.asOf.slice(0, 10);
const STRESS = { from: '2025-03-03', to: '2025-04-30', volFactor: 2.5, corrTarget: 0.9, corrBlend: 0.5 };
const GARCH = { a: 0.08, b: 0.9 };
const DOF = 5;
const SEED = 20261120;

// --- random numbers
const rng = new Mulberry32(SEED);
const uniform = () => rng.next();
function normal() {
  const u = 1 - uniform(), v = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// --- dates
const DAY = 86400000;
const dates = [];
for (let t = Date.parse(`${START}T00:00:00Z`); t <= Date.parse(`${END}T00:00:00Z`); t += DAY) {
  const wd = new Date(t).getUTCDay();
  if (wd !== 0 && wd !== 6) dates.push(new Date(t).toISOString().slice(0, 10));
}

// --- correlations
const ids = Object.keys(market.underlyings);
const n = ids.length;
const corr = ids.map((_, i) => ids.map((__, j) => (i === j ? 1 : 0)));
for (const [a, b, rho] of market.risk.es.correlations) {
  const i = ids.indexOf(a), j = ids.indexOf(b);
  corr[i][j] = corr[j][i] = rho;
}
const stressed = corr.map((row, i) => row.map((rho, j) => (i === j ? 1 : (1 - STRESS.corrBlend) * rho + STRESS.corrBlend * STRESS.corrTarget)));
function cholesky(c) {
  const L = c.map(() => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = c[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`correlation matrix not positive definite at ${ids[i]}`);
        L[i][i] = Math.sqrt(s);
      } else {
        L[i][j] = s / L[j][j];
      }
    }
  }
  return L;
}
const cholCalm = cholesky(corr), cholStress = cholesky(stressed);

// --- paths
const crypto = (id) => market.underlyings[id].group === 'CRYPTO';
const target = ids.map((id) => market.underlyings[id].vol ** 2 / 252);
const variance = target.slice();
const x = ids.map(() => [0]); // log price relative to the first date
const tScale = Math.sqrt((DOF - 2) / DOF);
for (let t = 1; t < dates.length; t++) {
  const inStress = dates[t] >= STRESS.from && dates[t] <= STRESS.to;
  const L = inStress ? cholStress : cholCalm;
  const y = ids.map(() => normal());
  let chi = 0;
  for (let k = 0; k < DOF; k++) { const g = normal(); chi += g * g; }
  const w = tScale / Math.sqrt(chi / DOF);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let k = 0; k <= i; k++) z += L[i][k] * y[k];
    z *= w;
    const sigma = Math.sqrt(variance[i]) * (inStress ? STRESS.volFactor : 1);
    const mu = inStress ? (crypto(ids[i]) ? -0.004 : -0.0025) : 0;
    const r = mu + sigma * z;
    x[i].push(x[i][t - 1] + r);
    const e = Math.sqrt(variance[i]) * z;
    variance[i] = (1 - GARCH.a - GARCH.b) * target[i] + GARCH.a * e * e + GARCH.b * variance[i];
  }
}

// --- write
const lines = ['date,underlying,price'];
const last = dates.length - 1;
for (let t = 0; t < dates.length; t++) {
  for (let i = 0; i < n; i++) {
    const p = market.underlyings[ids[i]].spot * Math.exp(x[i][t] - x[i][last]);
    lines.push(`${dates[t]},${ids[i]},${Number(p.toPrecision(8))}`);
  }
}
writeFileSync(out, lines.join('\n') + '\n');
process.stderr.write(`${out}: ${dates.length} dates (${dates[0]} to ${dates[last]}) x ${n} underlyings, `
  + `stressed period ${STRESS.from} to ${STRESS.to}\n`);
