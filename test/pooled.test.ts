// Every method pooled (issue 10 item 4): the batch engine margins grid, es and fhs, each with and
// without stress scenarios and the Euler allocation, with the same code as the in-process model
// (ComposedModel.marginNetted inside the workers), so its results are the in-process results, bit
// for bit, on one thread and on two; and `run` writes the same bytes as formatResults of them.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { packageFile } from '../src/paths.js';
import { parseMarket } from '../src/market/load.js';
import { validateStress } from '../src/market/stress-spec.js';
import { loadFhsPreset } from '../src/presets.js';
import { createMarginModel, type MarginModelOptions } from '../src/models/create.js';
import { createBatchEngine, type BatchEngine } from '../src/batch/engine.js';
import { formatResults } from '../src/io/output.js';
import { parsePortfolios } from '../src/portfolio/read.js';

const market = parseMarket(readFileSync(packageFile('examples/market.json'), 'utf8'), 'market.json');
const history = readFileSync(packageFile('examples/history.csv'), 'utf8');
const stressJson = JSON.parse(readFileSync(packageFile('examples/stress.json'), 'utf8'));
const stress = validateStress(stressJson, 'stress.json', '', market);
const book = parsePortfolios(readFileSync(packageFile('test/fixtures/golden/book.csv'), 'utf8'), 'book.csv').slice(0, 240);
// A bad portfolio among them: an unknown instrument (an error row, the others unharmed).
book.splice(7, 0, { id: 'bad', positions: [{ instrument: 'NOPE', quantity: 1 }] });

const engines: BatchEngine[] = [];
afterAll(async () => { await Promise.all(engines.map((e) => e.close())); });

class Sink extends Writable {
  text = '';
  _write(chunk: Buffer, _enc: string, done: () => void): void { this.text += chunk.toString(); done(); }
}

describe('every method runs pooled, bit-identical to in-process', () => {
  for (const method of ['grid', 'es', 'fhs'] as const) {
    for (const withStress of [false, true]) {
      for (const allocation of [false, true]) {
        const name = `${method}${withStress ? ' + stress' : ''}${allocation ? ' + allocation' : ''}`;
        it(name, async () => {
          const opts: MarginModelOptions = {
            method, stress: withStress ? stress : null, allocation,
            ...(method === 'fhs' ? { history, fhs: loadFhsPreset('prisma-fhs') } : {}),
          };
          const want = createMarginModel(market, opts).marginAll(book);
          expect(want).toHaveLength(book.length);
          expect(want.filter((r) => !r.ok).map((r) => r.portfolio)).toEqual(['bad']);
          if (withStress) expect(want.every((r) => !r.ok || r.stress !== undefined)).toBe(true);
          if (allocation) expect(want.every((r) => !r.ok || (r.allocation?.length ?? 0) > 0 || r.initialMargin === 0)).toBe(true);
          for (const threads of [1, 2]) {
            const engine = await createBatchEngine({ market, ...opts, threads, taskWork: 1 << 14 });
            engines.push(engine);
            expect(engine.threads).toBe(threads);
            const got = await engine.marginAll(book);
            expect(JSON.stringify(got), `threads ${threads}`).toBe(JSON.stringify(want));
            // The rows the workers format are the rows of the in-process results.
            for (const format of ['csv', 'ndjson'] as const) {
              const sink = new Sink();
              await engine.run(book, sink, { format });
              expect(sink.text, `${format}, threads ${threads}`).toBe(formatResults(want, method, format, { stress: withStress }));
            }
          }
        });
      }
    }
  }
});

describe('results say which preset version produced them (issue 10 item 8)', () => {
  it('a preset block: every ok result carries its name and version, in-process and pooled, and the NDJSON line says it', async () => {
    const { loadPreset, presetVersion } = await import('../src/presets.js');
    const grid = loadPreset('crypto', market);
    const version = presetVersion('crypto', 'grid');
    expect(version).toMatch(/^\d{4}-\d{2}-\d+$/);
    const want = createMarginModel(market, { grid, stress: null }).marginAll(book);
    for (const r of want) if (r.ok) expect(r.preset).toEqual({ name: 'crypto', version });
    const engine = await createBatchEngine({ market, grid, stress: null, threads: 2, taskWork: 1 << 14 });
    engines.push(engine);
    expect(JSON.stringify(await engine.marginAll(book))).toBe(JSON.stringify(want));
    const sink = new Sink();
    await engine.run(book.slice(0, 3), sink, { format: 'ndjson' });
    expect(JSON.parse(sink.text.split('\n')[0]).preset).toEqual({ name: 'crypto', version });
    // The market's own block: no preset claimed.
    const own = createMarginModel(market, { stress: null }).marginAll(book.slice(0, 3));
    expect(own.every((r) => !r.ok || r.preset === undefined)).toBe(true);
  });
});
