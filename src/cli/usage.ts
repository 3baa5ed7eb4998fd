import { COMMAND_LIST, COMMANDS } from './command-table.ts';
import { CONNECTION_HELP } from './commands/command.ts';

/**
 * The help texts: the main one (with a line or two per command, from each command's summary) and
 * that of the `config` group; each command's own is in its file under commands/.
 */

const SYNOPSIS_WIDTH = 38;

const MAIN_HELP = `Usage: manifest-assembler <command> [options]

Publishes multi-architecture image indexes as soon as every per-arch image of a version is pushed.

Commands:
${COMMAND_LIST.flatMap(({ command }) => command.summary.map(([synopsis, description]) => `  ${synopsis.padEnd(SYNOPSIS_WIDTH)}  ${description}`)).join('\n')}

Run 'manifest-assembler <command> --help' for a command's options.

${CONNECTION_HELP}

Exit status: 0 done, 1 the request failed, 2 bad usage (wait: 3 timed out).`;

const CONFIG_HELP = `Usage: manifest-assembler config <set|get|delete> <repository> [options]

  config set <repository> --require <platforms> [options]
  config get <repository>
  config delete <repository>

Run 'manifest-assembler config set --help' for the options of set.`;

/** The help text of the command line, of the `config` group and of each command (printed by `--help`, and after a usage error). */
export const Usages = {
  main: MAIN_HELP,
  start: COMMANDS.start.help,
  config: CONFIG_HELP,
  configSet: COMMANDS['config-set'].help,
  configGet: COMMANDS['config-get'].help,
  configDelete: COMMANDS['config-delete'].help,
  repos: COMMANDS.repos.help,
  status: COMMANDS.status.help,
  reconcile: COMMANDS.reconcile.help,
  backfill: COMMANDS.backfill.help,
  dashboard: COMMANDS.dashboard.help,
  publish: COMMANDS.publish.help,
  wait: COMMANDS.wait.help,
} as const;

export type UsageName = keyof typeof Usages;
