/**
 * `margin-engine run` for the grid and ES methods: the batch engine over a stream. The input is read
 * and the output written as streams (memory flat whatever the file size), on `--threads N` workers
 * (1: in-process, same results), with progress on standard error when it is a terminal and nothing
 * there otherwise but warnings and the error summary. SIGINT, SIGTERM and SIGHUP stop the run
 * cleanly (io/signals.ts): rows already computed are written (a file output is kept as
 * NAME.partial), standard error says where the run stopped, and the exit status is 128 + the
 * signal's number (130, 143, 129; a second signal exits at once).
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { EsSpec, GridSpec, ResolvedMarket } from '../market/types.js';
import { isNdjsonName } from '../portfolio/parse.js';
import type { OutputFormat } from '../io/output.js';
import type { OutputTarget } from '../io/target.js';
import { SIGNAL_EXITS, type Interrupts } from '../io/signals.js';
import { createBatchEngine, type BatchFile, type BatchMethod, type BatchProgress } from './engine.js';

/** Exit status of a run stopped by SIGINT. */
export const EXIT_INTERRUPTED = SIGNAL_EXITS.SIGINT;

export interface StreamingRunOptions {
  market: ResolvedMarket;
  method: BatchMethod;
  grid?: GridSpec;
  es?: EsSpec;
  /** The --portfolios argument ("-": standard input). */
  portfolios: string;
  /** Input format of the portfolios (default: from the name, .ndjson/.jsonl NDJSON, else CSV). */
  inputFormat?: 'csv' | 'ndjson';
  /** The output, opened before any work; committed here when the run ends well. */
  output: OutputTarget;
  format: OutputFormat;
  /** Write CSV text fields without the formula guard. */
  csvRaw?: boolean;
  threads?: number;
  /** The signals that stop the run. */
  interrupts: Interrupts;
  /** Where progress and diagnostics go (standard error). */
  stderr?: NodeJS.WriteStream;
}

/**
 * Opens --portfolios for reading before any work, so a missing file fails at once. A regular file
 * is given to the engine by path (it reads it twice: the first pass checks that portfolios are
 * contiguous); standard input and other streams (a FIFO) are spooled by the engine to a temporary
 * file in os.tmpdir(), removed when the run ends.
 */
export function openPortfolios(path: string): { stream: Readable | BatchFile; size?: number; source: string } {
  if (path === '-') return { stream: process.stdin, source: 'stdin' };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw Object.assign(new Error(`--portfolios ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`), { exit: 1 });
  }
  const st = fstatSync(fd);
  if (st.isFile()) {
    closeSync(fd);
    return { stream: { path }, size: st.size, source: path };
  }
  return { stream: createReadStream('', { fd, highWaterMark: 1 << 20 }), source: path };
}

/** Runs the batch engine from the CLI; returns the exit status. */
export async function runStreaming(o: StreamingRunOptions): Promise<number> {
  const stderr = o.stderr ?? process.stderr;
  const input = openPortfolios(o.portfolios);
  const engine = await createBatchEngine({ market: o.market, method: o.method, grid: o.grid, es: o.es, threads: o.threads });
  const tty = stderr.isTTY === true;
  let shown = false;
  try {
    const summary = await engine.run(input.stream, o.output.stream(), {
      format: o.format, source: input.source, totalBytes: input.size, signal: o.interrupts.signal, csvRaw: o.csvRaw, currency: true,
      inputFormat: o.inputFormat ?? (isNdjsonName(input.source) ? 'ndjson' : 'csv'),
      onProgress: tty ? (p) => { stderr.write(`\r\x1b[K${progressLine(p)}`); shown = true; } : undefined,
      onWarning: (w) => { stderr.write(`${shown ? '\r\x1b[K' : ''}margin-engine: warning: ${w}\n`); },
    });
    if (shown) stderr.write('\r\x1b[K');
    if (summary.stoppedAt) {
      const at = summary.stoppedAt;
      const partial = o.output.keepPartial();
      stderr.write(`margin-engine: interrupted (${o.interrupts.received ?? 'SIGINT'}): wrote ${at.portfolios} portfolios` +
        (at.lastPortfolio !== undefined ? ` (the last ${JSON.stringify(at.lastPortfolio)})` : '') +
        (at.nextPortfolio !== undefined ? `; ${JSON.stringify(at.nextPortfolio)} and the portfolios after it were not margined` : '; the rest was not margined') +
        ` (stopped after ${at.bytes} bytes of input)` + (partial ? `; the rows written are in ${partial}` : '') + '\n');
      return o.interrupts.exitCode;
    }
    await o.output.commit();
    if (summary.errors > 0) stderr.write(`margin-engine: ${summary.portfolios} portfolios, ${summary.errors} with errors\n`);
    return 0;
  } catch (e) {
    if (shown) stderr.write('\r\x1b[K');
    if (o.output.failed) throw o.output.failed;
    const written = (e as { written?: number }).written;
    if (written !== undefined) {
      throw Object.assign(e as Error, { exit: 1, message: `${(e as Error).message} (the rows of the ${written} portfolios before it were margined; ${o.output.path === undefined ? 'they are written' : 'the output is not written'})` });
    }
    throw Object.assign(e as Error, { exit: (e as { exit?: number }).exit ?? 1 });
  } finally {
    await engine.close();
  }
}

/**
 * One progress line: portfolios margined, their rate (positions/s), the share of the run done and
 * the time left, both from the work done (BatchProgress.fraction, etaMs).
 */
export function progressLine(p: BatchProgress): string {
  const s = p.elapsedMs / 1000;
  const rate = s > 0 ? p.marginedPositions / s : 0;
  let line = `margin-engine: ${p.margined.toLocaleString('en-US')} portfolios done, ${fmtRate(rate)} positions/s`;
  if (p.fraction !== undefined) line += `, ${Math.floor(100 * p.fraction)}%`;
  if (p.etaMs !== undefined) line += `, ETA ${fmtTime(p.etaMs / 1000)}`;
  return line;
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0);
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
