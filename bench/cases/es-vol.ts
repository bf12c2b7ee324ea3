/**
 * Expected shortfall with and without implied-vol moves (docs/methods.md §8.2): the example
 * market as it is, and with a volOfVol of 0.8 on every underlying (each vol factor correlated
 * -0.5 with its spot, see volCorrelations). Times the model build (scenarios and cube, median of a few) and one
 * 10-position portfolio's margin, p50 per call; the note gives the ratio with / without (the
 * target is at most 1.3). Checks that the spot moves are the same and the vols do move.
 */
import { createEsModel } from '../../src/models/tail.js';
import type { ResolvedMarket } from '../../src/market/types.js';
import { exampleMarket, randomPortfolios } from '../data.js';
import { CheckError, sampleLatency, type Row, type Settings, median } from '../harness.js';

const GROUP = 'ES with vol moves (volOfVol) against without, in-process';

function withVolOfVol(market: ResolvedMarket): ResolvedMarket {
  const es = market.risk.es!;
  const ids = market.underlyings.ids;
  return {
    ...market,
    underlyings: { ...market.underlyings, volOfVol: new Float64Array(ids.length).fill(0.8) },
    risk: { ...market.risk, es: { ...es, correlations: [...es.correlations, ...volCorrelations(ids, es.correlations)] } },
  };
}

const RHO = -0.5;

/**
 * The vol factors as v_u = RHO x_u + sqrt(1 - RHO^2) e_u (e independent of everything): corr(v_u,
 * x_u) = RHO, corr(v_a, x_b) = RHO C_ab, corr(v_a, v_b) = RHO^2 C_ab, positive semi-definite
 * whenever the spots' C is.
 */
function volCorrelations(ids: string[], spot: [string, string, number][]): [string, string, number][] {
  const out: [string, string, number][] = ids.map((id) => [id, `${id}.vol`, RHO]);
  for (const [a, b, c] of spot) out.push([`${a}.vol`, b, RHO * c], [a, `${b}.vol`, RHO * c], [`${a}.vol`, `${b}.vol`, RHO * RHO * c]);
  return out;
}


export function esVolCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const plain = exampleMarket();
  const vov = withVolOfVol(plain);
  const builds = s.quick ? 3 : 7;
  const timeBuild = (m: ResolvedMarket) => median(Array.from({ length: builds }, () => {
    const t0 = performance.now();
    createEsModel(m);
    return performance.now() - t0;
  }));
  try {
    const a = createEsModel(plain), b = createEsModel(vov);
    if (!Buffer.from(a.scenarios.spotMult.buffer).equals(Buffer.from(b.scenarios.spotMult.buffer))) throw new CheckError('spot moves differ with vol factors');
    if (!b.scenarios.volShock.some((x) => x !== 0)) throw new CheckError('no vol moved with volOfVol');
    const tPlain = timeBuild(plain), tVov = timeBuild(vov);
    const size = `${plain.instruments.ids.length} instruments x ${a.scenarios.nScen} scen`;
    for (const [impl, t] of [['without volOfVol', tPlain], ['with volOfVol', tVov]] as const) {
      rows.push({ group: GROUP, case: 'es-vol', size: `model build, ${size}`, impl, unit: 'ms', value: t, status: 'ok',
        note: impl === 'with volOfVol' ? `${(tVov / tPlain).toFixed(2)}x without` : undefined });
    }
    log(`  ES model build: ${tPlain.toFixed(1)} ms without volOfVol, ${tVov.toFixed(1)} ms with (${(tVov / tPlain).toFixed(2)}x)`);
    const ports = randomPortfolios(plain, 10, 64, 91);
    const samples = s.quick ? 300 : 3_000, warm = s.quick ? 100 : 500;
    const la = sampleLatency((i) => a.margin(ports[i % ports.length]), warm, samples);
    const lb = sampleLatency((i) => b.margin(ports[i % ports.length]), warm, samples);
    for (const [impl, l] of [['without volOfVol', la], ['with volOfVol', lb]] as const) {
      rows.push({ group: GROUP, case: 'es-vol', size: '10 positions', impl, unit: 'us', value: l.p50, p50us: l.p50, p99us: l.p99,
        meanUs: l.mean, samples: l.samples, status: 'ok', note: impl === 'with volOfVol' ? `${(lb.p50 / la.p50).toFixed(2)}x without` : undefined });
    }
    log(`  EsModel.margin 10 positions: p50 ${la.p50.toFixed(1)} us without volOfVol, ${lb.p50.toFixed(1)} us with`);
  } catch (e) {
    rows.push({ group: GROUP, case: 'es-vol', size: 'model build', impl: 'check', unit: 'ms', value: null, status: 'error', note: String(e) });
    log(`  es-vol: ${String(e)}`);
  }
}
