/**
 * The public API as a user gets it: everything imported by the package's own name (`margin-engine`,
 * resolved through package.json "exports" to the built dist/src/index.js), and the calls of the
 * README's API section. The numbers themselves are checked elsewhere against references; here the
 * point is that the documented entry points exist, fit together and agree with each other.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import * as api from 'margin-engine';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const marketText = readFileSync(`${root}examples/market.json`, 'utf8');

/** The README's API table, function by function. */
const DOCUMENTED = [
  'parseMarket', 'resolveMarket', 'createGridModel', 'createEsModel', 'createFhsModel', 'createMarginModel',
  'parsePortfolios', 'valueMarket', 'loadPreset', 'presetNames', 'presetVersion', 'validateGrid', 'validateEs',
  'instantiateKernels', 'Arena', 'buildGridScenarios', 'buildCube', 'cubeView',
  'createBatchEngine', 'BatchEngine', 'withAllocation',
  'parseAccountMarket', 'parseAccounts', 'marginAccounts', 'MarginBook', 'replay', 'calibrate', 'InputError',
  'validateFhs', 'validateStress', 'loadMethodPreset', 'calibratedMarket', 'formatReport',
  // docs/methods-fhs-stress-allocation.md and docs/accounts.md, "API"
  'parseHistoryCsv', 'alignHistory', 'logReturns', 'ewmaFilter', 'buildFhsScenarios', 'buildStressScenarios', 'StressTest',
  'StressedModel', 'tailShares', 'gridShares', 'stressShares', 'methodPresetNames', 'loadEsPreset', 'loadFhsPreset',
  'resolveAccountMarket', 'linearMarket', 'resolveAccounts', 'formatAccounts', 'parseEvent', 'parseEventLine',
  'GridModel', 'EsModel', 'FhsModel', 'TailModel', 'AllocatingModel',
] as const;

/** Every type the README's API section and the docs' API blocks name (and the types of their parameters). */
const DOCUMENTED_TYPES = [
  'ResolvedMarket', 'GridSpec', 'EsSpec', 'FhsSpec', 'StressSpec', 'KernelExports', 'PriceHistory', 'MarginModel',
  'PortfolioLike', 'MarginResult', 'ParsedPortfolio', 'Valuation', 'BatchEngine', 'BatchSummary', 'GroupCharge',
  'GridModel', 'EsModel', 'FhsModel', 'Arena', 'InputError', 'MarginBook',
  'GridSource', 'CalibrationInput', 'CalibrationOptions', 'CalibrationResult',
  'FhsScenarioSet', 'StressScenarioSet', 'StressTest', 'StressedModel', 'TailModel', 'TailStats', 'AllocatingModel',
  'AlignedHistory', 'EwmaFilter', 'MarginOk', 'PositionShare', 'StressResult',
  'AccountMarket', 'AccountsFile', 'AccountsFileInput', 'AccountMargin', 'AccountMarginOk', 'AccountStatus', 'MarketInput',
  'BookEvent', 'Order', 'StatusChange', 'WhatIfResult', 'ReplaySummary',
  'GridInput', 'EsInput', 'FhsInput', 'StressInput', 'MarginModelOptions', 'GridModelOptions', 'EsModelOptions', 'FhsModelOptions',
] as const;

function collect(): { sink: Writable; text: () => string } {
  let s = '';
  const sink = new Writable({ write(chunk, _enc, cb) { s += chunk.toString(); cb(); } });
  return { sink, text: () => s };
}

describe('public API (imported as "margin-engine")', () => {
  it('exports every function the README documents', () => {
    const missing = DOCUMENTED.filter((name) => typeof (api as Record<string, unknown>)[name] !== 'function');
    expect(missing).toEqual([]);
  });

  it('exports every type the README and the docs name (type-checked against the built declarations)', () => {
    // A module importing each type by the package's name, compiled by TypeScript as a consumer would.
    const file = `${root}test/documented-types.ts`;
    const text = `import type { ${DOCUMENTED_TYPES.join(', ')} } from 'margin-engine';\n`
      + `export type All = [${DOCUMENTED_TYPES.join(", ")}];\n`;
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
      strict: true, noEmit: true, skipLibCheck: true, types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const messages = ts.getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(messages).toEqual([]);
  });

  it('the README example: one portfolio in-process, many in order, errors as data', () => {
    const market = api.parseMarket(marketText, 'market.json');
    const grid = api.createGridModel(market);
    const one = grid.margin({ id: 'P1', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] });
    expect(one.ok).toBe(true);
    if (!one.ok) return;
    expect(one.initialMargin).toBeGreaterThan(0);
    expect(Number.isFinite(one.maintenanceMargin)).toBe(true);
    expect(one.groups.length).toBe(1);

    const all = grid.marginAll(api.parsePortfolios(
      'portfolio,instrument,quantity\nA,BTC-PERP,-2\nB,NOPE,1\nC,BTC-PERP,-2\n', 'book.csv'));
    expect(all.map((r) => r.ok)).toEqual([true, false, true]);
    const [a, b, c] = all;
    if (!a.ok || b.ok || !c.ok) return;
    expect(a.initialMargin).toBe(one.initialMargin);
    expect(c.initialMargin).toBe(one.initialMargin);
    expect(b.message).toContain('unknown instrument "NOPE"');
  });

  it('a batch engine on an application\'s own Piscina pool gives the in-process numbers, bit for bit, and leaves the pool open', async () => {
    const market = api.parseMarket(marketText, 'market.json');
    const book = [
      'portfolio,instrument,quantity',
      'A,BTC-PERP,-2', 'A,BTC-25DEC26-90000-P,3',
      'B,ETH-PERP,5',
      'C,NOPE,1',
      'D,BTC-25DEC26-110000-C,-4', 'D,ETH-25DEC26-2600-P,-40',
    ].join('\n') + '\n';
    const inProcess = api.createGridModel(market).marginAll(api.parsePortfolios(book, 'book.csv'));
    const pool = new Piscina({ filename: api.workerFile(), minThreads: 2, maxThreads: 2 });
    try {
      const engine = await api.createBatchEngine({ market, method: 'grid', pool });
      const results = await engine.marginAll(Readable.from([Buffer.from(book)], { objectMode: false }), { source: 'book.csv' });
      expect(results.length).toBe(inProcess.length);
      for (let i = 0; i < results.length; i++) {
        const r = results[i], q = inProcess[i];
        expect(r.ok).toBe(q.ok);
        if (r.ok && q.ok) {
          expect(r.initialMargin).toBe(q.initialMargin);
          expect(r.maintenanceMargin).toBe(q.maintenanceMargin);
        }
      }
      const out = collect();
      const summary = await engine.run(Readable.from([Buffer.from(book)], { objectMode: false }), out.sink, { source: 'book.csv' });
      expect(summary.portfolios).toBe(4);
      expect(summary.errors).toBe(1);
      const lines = out.text().trimEnd().split('\n');
      expect(lines[0].startsWith('portfolio,method,initial_margin,maintenance_margin,status,error')).toBe(true);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['A', 'B', 'C', 'D']);
      await engine.close();
      // The application's pool is still usable after the engine closed.
      expect(pool.threads.length).toBe(2);
      await expect(api.createBatchEngine({ market, method: 'grid', pool }).then((e) => e.close())).resolves.toBeUndefined();
    } finally {
      await pool.destroy();
    }
  });
});
