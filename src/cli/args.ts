import { parseArgs } from 'node:util';
import { type Options, parseStrict } from './arg-values.ts';
import { UsageError } from './cli-error.ts';
import { COMMAND_LIST, type Command } from './command-table.ts';
import type { CliCommand } from './commands/command.ts';
import { Usages } from './usage.ts';

export type { Command } from './command-table.ts';

/** Options every command that talks to the API accepts. */
export interface GlobalOptions {
  readonly api?: string;
  readonly token?: string;
  readonly region?: string;
  readonly sigv4: boolean;
}

/** What the command line asks for: a help text to print, or a command to run. */
export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly command: Command; readonly global: GlobalOptions };

// Every option of every command, with one type each: only used to find the command words.
const ALL_OPTIONS: Options = Object.assign({}, ...COMMAND_LIST.map(({ command }) => command.options));

/**
 * Parses the arguments after the program name with the options of the command they name (see
 * command-table.ts). Pure: no environment, no files. Throws {@link UsageError} (exit 2) with the
 * usage of the command it was meant for.
 */
export function parseCommandLine(given: readonly string[]): ParsedCommandLine {
  const argv = attachTokenValues(given);
  const words = findCommandWords(argv);
  const [first, second] = words;
  if (first === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) return help(Usages.main);
    throw new UsageError('no command given', Usages.main);
  }
  if (first === 'help') return help(helpFor(words.slice(1)));
  const entry = findCommand(words);
  if (entry === undefined) {
    if (first !== 'config') throw new UsageError(`unknown command "${first}"`, Usages.main);
    // The one group of commands: `config` needs its action.
    if (second !== undefined) throw new UsageError(`unknown config action "${second}": expected set, get or delete`, Usages.config);
    if (argv.includes('--help') || argv.includes('-h')) return help(Usages.config);
    throw new UsageError('config needs an action: set, get or delete', Usages.config);
  }
  const { name, command } = entry;
  const { values, positionals } = parseStrict(argv, command.options, command.help);
  if (values.help === true) return help(command.help);
  const args = command.parse(values, positionals) as object;
  return { kind: 'run', command: { name, ...args } as Command, global: readGlobals(values, command.help) };
}

/**
 * `--token <value>` becomes `--token=<value>`: a token is opaque and may start with `-`, which
 * node:util's parser would otherwise refuse as an ambiguous option value. Only `--token`: for other
 * options a dash after them is far more likely a forgotten value than a value.
 */
export function attachTokenValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return [...joined, ...argv.slice(i)];
    const value = argv[i + 1];
    if (arg === '--token' && value !== undefined) {
      joined.push(`--token=${value}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** The command whose words the command line starts with (`config set …` → config-set). */
function findCommand(words: readonly string[]): { name: Command['name']; command: CliCommand } | undefined {
  return COMMAND_LIST.find(({ command }) => command.words.every((word, i) => words[i] === word));
}

/** `help [<command words>]`: that command's help, the config group's, or the main one. */
function helpFor(words: readonly string[]): string {
  const entry = findCommand(words);
  if (entry !== undefined) return entry.command.help;
  return words[0] === 'config' ? Usages.config : Usages.main;
}

/** The positionals, read leniently, so that options may come before the command (`--api … status x`). */
function findCommandWords(argv: readonly string[]): string[] {
  return parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true }).positionals;
}

/** The connection options, for a command that has them; `start` has none and reads as `{ sigv4: false }`. */
function readGlobals(values: Record<string, unknown>, usage: string): GlobalOptions {
  const text = (name: 'api' | 'token' | 'region'): string | undefined => {
    const value = values[name];
    if (value === '') throw new UsageError(`--${name} is empty`, usage);
    return typeof value === 'string' ? value : undefined;
  };
  const api = text('api');
  const token = text('token');
  const region = text('region');
  return {
    sigv4: values.sigv4 === true,
    ...(api === undefined ? {} : { api }),
    ...(token === undefined ? {} : { token }),
    ...(region === undefined ? {} : { region }),
  };
}

function help(text: string): ParsedCommandLine {
  return { kind: 'help', text };
}
