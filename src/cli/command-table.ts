import { backfillCommand } from './commands/backfill-command.ts';
import type { CliCommand } from './commands/command.ts';
import { configDeleteCommand } from './commands/config-delete-command.ts';
import { configGetCommand } from './commands/config-get-command.ts';
import { configSetCommand } from './commands/config-set-command.ts';
import { dashboardCommand } from './commands/dashboard-command.ts';
import { publishCommand } from './commands/publish-command.ts';
import { reconcileCommand } from './commands/reconcile-command.ts';
import { reposCommand } from './commands/repos-command.ts';
import { startCommand } from './commands/start-command.ts';
import { statusCommand } from './commands/status-command.ts';
import { waitCommand } from './commands/wait-command.ts';

/**
 * Every command, by the name a parsed command line carries, in the order of the main help. Each
 * entry is one file in commands/ holding the command's options, help, parse and run.
 */
export const COMMANDS = {
  start: startCommand,
  'config-set': configSetCommand,
  'config-get': configGetCommand,
  'config-delete': configDeleteCommand,
  repos: reposCommand,
  status: statusCommand,
  publish: publishCommand,
  reconcile: reconcileCommand,
  backfill: backfillCommand,
  wait: waitCommand,
  dashboard: dashboardCommand,
} as const;

export type CommandName = keyof typeof COMMANDS;

/** A parsed command: its name and what its parse read (`{ name: 'status', repository: 'hello', json: false }`). */
export type Command = { [N in CommandName]: { readonly name: N } & ReturnType<(typeof COMMANDS)[N]['parse']> }[CommandName];

/** The table as a list, each entry typed loosely enough to be called whatever the command is. */
export const COMMAND_LIST = Object.entries(COMMANDS).map(([name, command]) => ({
  name: name as CommandName,
  command: command as unknown as CliCommand,
})) satisfies readonly {
  name: CommandName;
  command: CliCommand;
}[];
