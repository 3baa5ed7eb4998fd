import { parseArgs } from 'node:util';
import { OnDriftChoices, OnStaleChoices, TagMutabilityChoices, type RepositoryConfigInput } from '../core/repository-config.ts';
import { VersionStates, type VersionState } from '../core/version-record.ts';
import { UsageError } from './cli-error.ts';
import {
  choice,
  expectPositionals,
  isIndexMediaTypeChoice,
  isVersionState,
  parseAnnotations,
  parseLimit,
  parseOverrides,
  parseStrict,
  repositoryArgument,
  repositoryRef,
  splitList,
  type Options,
} from './arg-values.ts';
import { Usages, type UsageName } from './usage.ts';
import { readWaitOptions, WAIT_OPTIONS, type WaitOptions } from './commands/wait-command.ts';

/** Options every command that talks to the API accepts. */
export interface GlobalOptions {
  readonly api?: string;
  readonly token?: string;
  readonly region?: string;
  readonly sigv4: boolean;
}

export type Command =
  | { readonly name: 'start' }
  | { readonly name: 'config-set'; readonly repository: string; readonly config: RepositoryConfigInput }
  | { readonly name: 'config-get'; readonly repository: string }
  | { readonly name: 'config-delete'; readonly repository: string }
  | { readonly name: 'repos'; readonly json: boolean }
  | {
      readonly name: 'status';
      readonly repository: string;
      readonly version?: string;
      readonly json: boolean;
      readonly state?: VersionState;
      readonly limit?: number;
      readonly history?: boolean;
    }
  | { readonly name: 'publish'; readonly repository: string; readonly version: string; readonly allowPartial: boolean }
  /** Without a repository: one pass over every configured repository. */
  | { readonly name: 'reconcile'; readonly repository?: string; readonly json: boolean }
  | { readonly name: 'backfill'; readonly repository: string; readonly dryRun: boolean; readonly json: boolean; readonly republish?: boolean }
  | ({ readonly name: 'wait' } & WaitOptions)
  /** `port` 0: any free port. */
  | { readonly name: 'dashboard'; readonly port: number };

/** What the command line asks for: a help text to print, or a command to run. */
export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly command: Command; readonly global: GlobalOptions };

const GLOBAL_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  region: { type: 'string' },
  sigv4: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const CONFIG_SET_OPTIONS = {
  ...GLOBAL_OPTIONS,
  require: { type: 'string', multiple: true },
  optional: { type: 'string', multiple: true },
  'tag-pattern': { type: 'string' },
  'target-tag': { type: 'string', multiple: true },
  'index-media-type': { type: 'string' },
  'platform-override': { type: 'string', multiple: true },
  'stale-after': { type: 'string' },
  'on-stale': { type: 'string' },
  'on-drift': { type: 'string' },
  annotation: { type: 'string', multiple: true },
  'tag-mutability': { type: 'string' },
} as const satisfies Options;

const STATUS_OPTIONS = {
  ...GLOBAL_OPTIONS,
  json: { type: 'boolean' },
  state: { type: 'string' },
  limit: { type: 'string' },
  history: { type: 'boolean' },
} as const satisfies Options;

const REPOS_OPTIONS = { ...GLOBAL_OPTIONS, json: { type: 'boolean' } } as const satisfies Options;
const PUBLISH_OPTIONS = { ...GLOBAL_OPTIONS, 'allow-partial': { type: 'boolean' } } as const satisfies Options;
const START_OPTIONS = { help: GLOBAL_OPTIONS.help } as const satisfies Options;
const RECONCILE_OPTIONS = REPOS_OPTIONS;
const BACKFILL_OPTIONS = { ...REPOS_OPTIONS, 'dry-run': { type: 'boolean' }, republish: { type: 'boolean' } } as const satisfies Options;
const WAIT_COMMAND_OPTIONS = { ...GLOBAL_OPTIONS, ...WAIT_OPTIONS } as const satisfies Options;
const DASHBOARD_OPTIONS = { ...GLOBAL_OPTIONS, port: { type: 'string' } } as const satisfies Options;

// Every option of every command, with one type each: only used to find the command words.
const ALL_OPTIONS = { ...CONFIG_SET_OPTIONS, ...STATUS_OPTIONS, ...PUBLISH_OPTIONS, ...BACKFILL_OPTIONS, ...WAIT_COMMAND_OPTIONS, ...DASHBOARD_OPTIONS } as const satisfies Options;

/**
 * Parses the arguments after the program name. Pure: no environment, no files. Throws
 * {@link UsageError} (exit 2) with the usage of the command it was meant for.
 */
export function parseCommandLine(given: readonly string[]): ParsedCommandLine {
  const argv = attachTokenValues(given);
  const words = findCommandWords(argv);
  const [first, second] = words;
  if (first === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) return help('main');
    throw new UsageError('no command given', Usages.main);
  }
  switch (first) {
    case 'help':
      return help(helpTopic(words.slice(1)));
    case 'start':
      return parseStart(argv);
    case 'config':
      return parseConfig(argv, second);
    case 'repos':
      return parseRepos(argv);
    case 'status':
      return parseStatus(argv);
    case 'publish':
      return parsePublish(argv);
    case 'reconcile':
      return parseReconcile(argv);
    case 'backfill':
      return parseBackfill(argv);
    case 'wait':
      return parseWait(argv);
    case 'dashboard':
      return parseDashboard(argv);
    default:
      throw new UsageError(`unknown command "${first}"`, Usages.main);
  }
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

function parseStart(argv: readonly string[]): ParsedCommandLine {
  const { values, positionals } = parseStrict(argv, START_OPTIONS, Usages.start);
  if (values.help) return help('start');
  expectPositionals(positionals, 1, Usages.start);
  return { kind: 'run', command: { name: 'start' }, global: { sigv4: false } };
}

function parseConfig(argv: readonly string[], action: string | undefined): ParsedCommandLine {
  switch (action) {
    case 'set':
      return parseConfigSet(argv);
    case 'get':
    case 'delete': {
      const usage = action === 'get' ? Usages.configGet : Usages.configDelete;
      const { values, positionals } = parseStrict(argv, GLOBAL_OPTIONS, usage);
      if (values.help) return help(action === 'get' ? 'configGet' : 'configDelete');
      const repository = repositoryArgument(positionals, 2, usage);
      return { kind: 'run', command: { name: action === 'get' ? 'config-get' : 'config-delete', repository }, global: globals(values, usage) };
    }
    case undefined:
      if (argv.includes('--help') || argv.includes('-h')) return help('config');
      throw new UsageError('config needs an action: set, get or delete', Usages.config);
    default:
      throw new UsageError(`unknown config action "${action}": expected set, get or delete`, Usages.config);
  }
}

function parseConfigSet(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.configSet;
  const { values, positionals } = parseStrict(argv, CONFIG_SET_OPTIONS, usage);
  if (values.help) return help('configSet');
  const repository = repositoryArgument(positionals, 2, usage);
  const requiredPlatforms = splitList(values.require, '--require', usage);
  if (requiredPlatforms.length === 0) throw new UsageError('config set needs --require with at least one platform', usage);
  const indexMediaType = values['index-media-type'];
  if (indexMediaType !== undefined && !isIndexMediaTypeChoice(indexMediaType)) {
    throw new UsageError(`--index-media-type "${indexMediaType}" must be auto, oci or docker`, usage);
  }
  const onStale = choice(values['on-stale'], '--on-stale', OnStaleChoices, usage);
  const onDrift = choice(values['on-drift'], '--on-drift', OnDriftChoices, usage);
  const tagMutability = choice(values['tag-mutability'], '--tag-mutability', TagMutabilityChoices, usage);
  const staleAfterText = values['stale-after'];
  if (staleAfterText === '') throw new UsageError('--stale-after is empty (a duration such as 6h, or never)', usage);
  const staleAfter = staleAfterText === 'never' ? null : staleAfterText;
  const tagPattern = values['tag-pattern'];
  if (tagPattern === '') throw new UsageError('--tag-pattern is empty', usage);
  const targetTags = values['target-tag'];
  if (targetTags?.some((tag) => tag === '')) throw new UsageError('--target-tag is empty', usage);
  const config: RepositoryConfigInput = {
    requiredPlatforms,
    ...(values.optional === undefined ? {} : { optionalPlatforms: splitList(values.optional, '--optional', usage) }),
    ...(tagPattern === undefined ? {} : { tagPattern }),
    ...(targetTags === undefined ? {} : { targetTags }),
    ...(indexMediaType === undefined ? {} : { indexMediaType }),
    ...(values['platform-override'] === undefined ? {} : { platformOverrides: parseOverrides(values['platform-override'], usage) }),
    ...(staleAfter === undefined ? {} : { staleAfter }),
    ...(onStale === undefined ? {} : { onStale }),
    ...(onDrift === undefined ? {} : { onDrift }),
    ...(values.annotation === undefined ? {} : { annotations: parseAnnotations(values.annotation, usage) }),
    ...(tagMutability === undefined ? {} : { tagMutability }),
  };
  return { kind: 'run', command: { name: 'config-set', repository, config }, global: globals(values, usage) };
}

function parseRepos(argv: readonly string[]): ParsedCommandLine {
  const { values, positionals } = parseStrict(argv, REPOS_OPTIONS, Usages.repos);
  if (values.help) return help('repos');
  expectPositionals(positionals, 1, Usages.repos);
  return { kind: 'run', command: { name: 'repos', json: values.json === true }, global: globals(values, Usages.repos) };
}

function parseStatus(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.status;
  const { values, positionals } = parseStrict(argv, STATUS_OPTIONS, usage);
  if (values.help) return help('status');
  expectPositionals(positionals, 2, usage);
  const ref = repositoryRef(positionals[1], usage);
  const state = values.state;
  if (state !== undefined && !isVersionState(state)) {
    throw new UsageError(`--state "${state}" must be one of ${Object.values(VersionStates).join(', ')}`, usage);
  }
  if (ref.version !== undefined && (state !== undefined || values.limit !== undefined)) {
    throw new UsageError('--state and --limit apply to a repository, not to one version', usage);
  }
  if (values.history === true && ref.version === undefined) throw new UsageError('--history applies to one version: status <repository>:<version> --history', usage);
  const limit = values.limit === undefined ? undefined : parseLimit(values.limit, usage);
  return {
    kind: 'run',
    command: {
      name: 'status',
      repository: ref.repository,
      ...(ref.version === undefined ? {} : { version: ref.version }),
      json: values.json === true,
      ...(state === undefined ? {} : { state }),
      ...(limit === undefined ? {} : { limit }),
      ...(values.history === true ? { history: true } : {}),
    },
    global: globals(values, usage),
  };
}

function parsePublish(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.publish;
  const { values, positionals } = parseStrict(argv, PUBLISH_OPTIONS, usage);
  if (values.help) return help('publish');
  expectPositionals(positionals, 2, usage);
  const ref = repositoryRef(positionals[1], usage);
  if (ref.version === undefined) throw new UsageError(`publish needs <repository>:<version>, got "${positionals[1]}"`, usage);
  return {
    kind: 'run',
    command: { name: 'publish', repository: ref.repository, version: ref.version, allowPartial: values['allow-partial'] === true },
    global: globals(values, usage),
  };
}

function parseReconcile(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.reconcile;
  const { values, positionals } = parseStrict(argv, RECONCILE_OPTIONS, usage);
  if (values.help) return help('reconcile');
  const json = values.json === true;
  if (positionals.length === 1) return { kind: 'run', command: { name: 'reconcile', json }, global: globals(values, usage) };
  const repository = repositoryArgument(positionals, 1, usage);
  return { kind: 'run', command: { name: 'reconcile', repository, json }, global: globals(values, usage) };
}

function parseBackfill(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.backfill;
  const { values, positionals } = parseStrict(argv, BACKFILL_OPTIONS, usage);
  if (values.help) return help('backfill');
  const repository = repositoryArgument(positionals, 1, usage);
  return {
    kind: 'run',
    command: {
      name: 'backfill',
      repository,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
      ...(values.republish === true ? { republish: true } : {}),
    },
    global: globals(values, usage),
  };
}

function parseWait(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.wait;
  const { values, positionals } = parseStrict(argv, WAIT_COMMAND_OPTIONS, usage);
  if (values.help) return help('wait');
  return { kind: 'run', command: { name: 'wait', ...readWaitOptions(values, positionals, usage) }, global: globals(values, usage) };
}

function parseDashboard(argv: readonly string[]): ParsedCommandLine {
  const usage = Usages.dashboard;
  const { values, positionals } = parseStrict(argv, DASHBOARD_OPTIONS, usage);
  if (values.help) return help('dashboard');
  expectPositionals(positionals, 1, usage);
  const text = values.port ?? '8090';
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--port "${text}" must be a port number (0 to 65535; 0 picks a free one)`, usage);
  return { kind: 'run', command: { name: 'dashboard', port: Number(text) }, global: globals(values, usage) };
}

/** The positionals, read leniently, so that options may come before the command (`--api … status x`). */
function findCommandWords(argv: readonly string[]): string[] {
  return parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true }).positionals;
}

function globals(values: { api?: string; token?: string; region?: string; sigv4?: boolean }, usage: string): GlobalOptions {
  for (const name of ['api', 'token', 'region'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} is empty`, usage);
  }
  return {
    sigv4: values.sigv4 === true,
    ...(values.api === undefined ? {} : { api: values.api }),
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
}

function helpTopic(words: readonly string[]): UsageName {
  const [command, action] = words;
  if (command === 'config') {
    if (action === 'set') return 'configSet';
    if (action === 'get') return 'configGet';
    if (action === 'delete') return 'configDelete';
    return 'config';
  }
  if (command === 'start' || command === 'repos' || command === 'status' || command === 'publish' || command === 'reconcile' || command === 'backfill' || command === 'wait' || command === 'dashboard') {
    return command;
  }
  return 'main';
}

function help(name: UsageName): ParsedCommandLine {
  return { kind: 'help', text: Usages[name] };
}

