/**
 * The help: `margin-engine --help` (every command's options with their defaults) and
 * `margin-engine COMMAND --help` (that command's only), assembled from the commands' sections
 * (each in its command's file) and the general part; the version.
 */
import { readFileSync } from 'node:fs';
import { methodPresetNames, presetNames } from '../presets.js';
import { packageFile } from '../paths.js';
import { RUN_HELP } from './run.js';
import { VALUE_HELP } from './value.js';
import { DEMO_HELP } from './demo.js';
import { CALIBRATE_HELP } from './calibrate.js';
import { ACCOUNTS_COMMAND_HELP } from './accounts.js';
import { REPLAY_COMMAND_HELP } from './replay.js';
import { BACKTEST_HELP } from './backtest.js';

export const VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

/** The commands, in the order the help lists them. */
export const COMMANDS = ['run', 'value', 'demo', 'calibrate', 'backtest', 'accounts', 'replay'] as const;

const GENERAL = `  -h, --help            help (margin-engine COMMAND --help: that command's options only)
  -V, -v, --version     the version

Exit status: 0 the command completed (even with error rows); 2 unusable market (or history, stress,
grid) file or arguments, including an output that cannot be written or is one of the inputs
(checked before any work); 130, 143, 129 stopped by SIGINT, SIGTERM, SIGHUP (the rows computed are
written, to FILE.partial for --out FILE; standard error says where it stopped); 1 anything else
(an unusable portfolio file; an output that failed while being written, such as a full disk).
A closed standard output (| head) ends the command quietly, exit 0. Progress (when standard error
is a terminal) and diagnostics go to standard error.`;

/** The commands' help sections: usage, what it does, every option with its default. */
function sections(): Record<string, string> {
  return {
    run: RUN_HELP,
    value: VALUE_HELP, demo: DEMO_HELP, calibrate: CALIBRATE_HELP, backtest: BACKTEST_HELP, accounts: ACCOUNTS_COMMAND_HELP, replay: REPLAY_COMMAND_HELP,
  };
}

/** The whole help, or one command's (`margin-engine run --help`). */
export function help(command?: string): string {
  let names = '';
  let es = '', fhs = '';
  try {
    names = presetNames().join(', ');
    es = methodPresetNames('es').join(', ');
    fhs = methodPresetNames('fhs').join(', ');
  } catch { names = 'none found'; }
  const fill = (t: string) => t.replace('${presets}', names).replace('${es-presets}', es || 'none').replace('${fhs-presets}', fhs || 'none');
  const all = sections();
  if (command !== undefined && all[command] !== undefined) {
    return fill(`margin-engine ${command} (margin-engine ${VERSION})\n\n${all[command]}\n\nGeneral:\n${GENERAL}\n`);
  }
  return fill(`margin-engine ${VERSION}: risk-based margin for portfolios of derivatives

Commands: ${COMMANDS.join(', ')}. margin-engine COMMAND --help shows one command's options only.

${COMMANDS.map((c) => `== ${c} ==\n${all[c]}`).join('\n\n')}

General:
${GENERAL}
`);
}
