#!/usr/bin/env node
/**
 * The command line (docs/methods.md §16; exit statuses §17.2): reads the command, shows the help
 * or the version, and runs the command (one file each in this folder). Exit status: 0 when the run
 * completed (even with error rows), 2 for an unusable market file or arguments (an output that
 * cannot be written or is one of the inputs included), 130, 143 or 129 for a run stopped by SIGINT,
 * SIGTERM or SIGHUP (the rows computed before it are written, a file as NAME.partial), 1 for
 * anything else (an output that failed while written: one line naming it). A closed standard
 * output (EPIPE) exits 0 quietly.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isInputError } from '../errors.js';
import { OutputError, OutputTarget, UsageError } from '../io/target.js';
import { Interrupts } from '../io/signals.js';
import { isParseError } from './args.js';
import { COMMANDS, VERSION, help } from './help.js';
import { run } from './run.js';
import { value } from './value.js';
import { demo } from './demo.js';
import { calibrateCommand } from './calibrate.js';
import { accountsCommand } from './accounts.js';
import { replayCommand } from './replay.js';
import { backtestCommand } from './backtest.js';

/** The signals that stop the command running (installed by main). */
const interrupts = new Interrupts();

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const stdout = OutputTarget.stdout();
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      const about = command === 'help' && rest[0] !== undefined ? rest[0] : undefined;
      stdout.write(help(about));
      await stdout.commit();
      return command === undefined ? 2 : 0;
    }
    if (command === '-v' || command === '-V' || command === '--version') { stdout.write(`${VERSION}\n`); await stdout.commit(); return 0; }
    const known = (COMMANDS as readonly string[]).includes(command);
    if (known && (rest.includes('-h') || rest.includes('--help'))) { stdout.write(help(command)); await stdout.commit(); return 0; }
    interrupts.install();
    const commands: Record<string, (a: string[]) => Promise<number>> = {
      run: (a) => run(a, interrupts), value: (a) => value(a, interrupts), demo: (a) => demo(a, interrupts),
      accounts: (a) => accountsCommand(a, interrupts), replay: (a) => replayCommand(a, interrupts),
      calibrate: (a) => calibrateCommand(a, interrupts), backtest: (a) => backtestCommand(a, interrupts),
    };
    if (!known) {
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected ${COMMANDS.slice(0, -1).join(', ')} or ${COMMANDS[COMMANDS.length - 1]} (see --help)`);
    }
    const code = await commands[command](rest);
    await stdout.commit();
    return code;
  } catch (e) {
    if (e instanceof OutputError && e.quiet) return e.exit;
    const err = e as Error & { code?: string; exit?: number };
    let message = oneLine(err.message);
    if (isParseError(err)) {
      message = `${message.replace(/\.$/, '')} (see margin-engine ${command !== undefined && (COMMANDS as readonly string[]).includes(command) ? `${command} ` : ''}--help)`;
    }
    process.stderr.write(`margin-engine: ${message}\n`);
    if (err.exit !== undefined) return err.exit;
    if (err instanceof UsageError || isParseError(err)) return 2;
    if (isInputError(e)) return 2;
    return 1;
  } finally {
    interrupts.uninstall();
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
