/**
 * Where a command's output goes: a file written safely, or standard output.
 *
 * - A file is written to a temporary file in the same folder (`.NAME.PID.tmp`) and renamed into
 *   place only when the command ends well (`commit`): a failed run leaves an existing file as it
 *   was and no temporary file behind (`discard`, and on process exit); an interrupted run keeps its
 *   rows under `NAME.partial` (`keepPartial`). A path that is not a regular file (a device such as
 *   /dev/null or /dev/full, a FIFO) is written directly.
 * - An output that is one of the command's inputs (the same file: device and inode, so links and
 *   other spellings of the path count) is refused before any work, as is a folder that cannot be
 *   written (UsageError, exit 2).
 * - A write that fails is an OutputError naming the output (exit 1); a closed pipe on standard
 *   output (EPIPE, `| head`) is a quiet OutputError with exit 0.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';

/** A bad argument (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exit = 2;
}

/** The output failed while being written: exit 1 with one line naming it, or 0 and nothing for a closed pipe. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(message: string, readonly exit: number, readonly quiet = false) {
    super(message);
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

/** The OutputError for a failed write to `label`. */
export function outputError(label: string, e: unknown): OutputError {
  if (e instanceof OutputError) return e;
  const code = errno(e);
  if (code === 'EPIPE' || (code === 'ERR_STREAM_DESTROYED' && label === 'standard output')) return new OutputError(`${label}: closed (EPIPE)`, 0, true);
  return new OutputError(`${label}: cannot write (${code})`, 1);
}

/** Outputs not yet committed: their temporary files are removed (or kept as .partial) when the process exits. */
const open = new Set<OutputTarget>();
let exitHookInstalled = false;
let keepPartialOnExit = false;

/** From now on, an exit with uncommitted outputs keeps their rows as NAME.partial (set when a signal stops the run). */
export function keepPartialsOnExit(): void {
  keepPartialOnExit = true;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const t of [...open]) {
      if (keepPartialOnExit) t.keepPartial(); else t.discard();
    }
  });
}

export interface InputRef {
  /** The flag, for messages (`--portfolios`). */
  flag: string;
  /** The path given ("-" and undefined are skipped). */
  path: string | undefined;
}

export class OutputTarget {
  /** `--out FILE` or `standard output`. */
  readonly label: string;
  /** The final path (undefined: standard output). */
  readonly path: string | undefined;
  private fd: number | undefined;
  private tmp: string | undefined;
  private failure: OutputError | undefined;
  private done = false;
  private stdoutListener?: (e: Error) => void;

  private constructor(label: string, path: string | undefined) {
    this.label = label;
    this.path = path;
  }

  /** Standard output. */
  static stdout(): OutputTarget {
    const t = new OutputTarget('standard output', undefined);
    // A closed pipe or a full disk on standard output arrives as an 'error' event: keep it (and
    // never let it be unhandled, which would print a stack trace).
    t.stdoutListener = (e: Error) => { t.failure ??= outputError(t.label, e); };
    process.stdout.on('error', t.stdoutListener);
    return t;
  }

  /**
   * Opens `path` for `flag` ("-" or undefined: standard output) before any work: refuses an output
   * that is one of `inputs`, a folder, or a place that cannot be written (UsageError).
   */
  static open(flag: string, path: string | undefined, inputs: readonly InputRef[] = []): OutputTarget {
    if (path === undefined || path === '-') return OutputTarget.stdout();
    const label = `${flag} ${path}`;
    let st: ReturnType<typeof statSync> | undefined;
    try { st = statSync(path); } catch { st = undefined; }
    if (st) {
      if (st.isDirectory()) throw new UsageError(`${label}: cannot be written (EISDIR: it is a folder)`);
      for (const input of inputs) {
        if (input.path === undefined || input.path === '-') continue;
        let ist: ReturnType<typeof statSync> | undefined;
        try { ist = statSync(input.path); } catch { continue; }
        if (ist.dev === st.dev && ist.ino === st.ino) {
          throw new UsageError(`${label}: is the same file as ${input.flag} ${input.path}; write the output to another file`);
        }
      }
    }
    const t = new OutputTarget(label, path);
    if (st && !st.isFile()) {
      try { t.fd = openSync(path, 'w'); } catch (e) { throw new UsageError(`${label}: cannot be written (${errno(e)})`); }
      return t;
    }
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      t.fd = openSync(tmp, 'w', st ? st.mode & 0o777 : 0o666);
    } catch (e) {
      throw new UsageError(`${label}: cannot be written (${errno(e)})`);
    }
    t.tmp = tmp;
    open.add(t);
    installExitHook();
    return t;
  }

  /** Writes `s` (synchronously for a file); a failed write throws an OutputError. */
  write(s: string): void {
    if (this.failure) throw this.failure;
    if (this.fd === undefined) {
      process.stdout.write(s);
      if (this.failure) throw this.failure;
      return;
    }
    this.writeBytes(Buffer.from(s));
  }

  private writeBytes(b: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      for (let at = 0; at < b.length;) at += writeSync(this.fd!, b, at, b.length - at);
    } catch (e) {
      throw (this.failure = outputError(this.label, e));
    }
  }

  /** A Writable for streamed output (the batch engine); its failures are kept as this target's. */
  stream(): Writable {
    if (this.fd === undefined) return process.stdout;
    const self = this;
    return new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        try { self.writeBytes(chunk); cb(); } catch (e) { cb(e as Error); }
      },
    });
  }

  /** The failure seen on this output, if any. */
  get failed(): OutputError | undefined {
    return this.failure;
  }

  /** Waits until everything written is out (standard output) and puts the file in place. */
  async commit(): Promise<void> {
    if (this.done) return;
    if (this.fd === undefined) {
      await new Promise<void>((resolve) => process.stdout.write('', (e) => {
        if (e) this.failure ??= outputError(this.label, e);
        resolve();
      }));
      this.done = true;
      if (this.failure) throw this.failure;
      return;
    }
    if (this.failure) { this.discard(); throw this.failure; }
    try {
      closeSync(this.fd);
      this.fd = undefined;
      if (this.tmp) renameSync(this.tmp, this.path!);
    } catch (e) {
      const err = outputError(this.label, e);
      this.discard();
      throw err;
    }
    this.done = true;
    open.delete(this);
  }

  /** Drops what was written (a failed run): the temporary file is removed, an existing file is untouched. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    open.delete(this);
    if (this.fd !== undefined && this.path !== undefined) {
      try { closeSync(this.fd); } catch { /* closed */ }
    }
    this.fd = undefined;
    if (this.tmp && existsSync(this.tmp)) {
      try { unlinkSync(this.tmp); } catch { /* gone */ }
    }
  }

  /**
   * An interrupted run: the rows written so far are kept as `NAME.partial` (returned); nothing
   * for standard output or a device, whose rows are out already.
   */
  keepPartial(): string | undefined {
    if (this.done) return undefined;
    if (!this.tmp) { this.done = true; open.delete(this); return undefined; }
    this.done = true;
    open.delete(this);
    const partial = `${this.path}.partial`;
    try {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.tmp, partial);
      return partial;
    } catch {
      try { unlinkSync(this.tmp); } catch { /* gone */ }
      return undefined;
    }
  }
}
