import { type ParseArgsConfig, parseArgs } from 'node:util';
import { annotationKeyProblem } from '../core/annotations.ts';
import { refusedMapKeyReason } from '../core/map-keys.ts';
import { type IndexMediaTypeChoice, IndexMediaTypeChoices } from '../core/repository-config.ts';
import { type VersionState, VersionStates } from '../core/version-record.ts';
import { UsageError } from './cli-error.ts';
import { checkRepositoryName, parseRepositoryRef, type RepositoryRef } from './repository-ref.ts';

/**
 * Readers for single arguments and option values. Each throws {@link UsageError} with the usage
 * of the command being parsed, so that the message and the help arrive together.
 */

export type Options = NonNullable<ParseArgsConfig['options']>;

/** The option values node:util parses for `O`, typed per option. */
export type OptionValues<O extends Options> = ReturnType<typeof parseStrict<O>>['values'];

/** node:util parseArgs with only the given options; its errors become usage errors. */
export function parseStrict<T extends Options>(argv: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    // node:util's messages name the option ("Unknown option '--x'"); the hint about '--' is for scripts, not users.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, usage);
  }
}

/** Exactly `count` positionals (the command words included). */
export function expectPositionals(positionals: readonly string[], count: number, usage: string): void {
  if (positionals.length < count) throw new UsageError(`missing argument after "${positionals.join(' ')}"`, usage);
  if (positionals.length > count) {
    throw new UsageError(`unexpected argument "${positionals.slice(count).join(' ')}"`, usage);
  }
}

/** The repository name at position `at`, checked against the repository grammar. */
export function repositoryArgument(positionals: readonly string[], at: number, usage: string): string {
  expectPositionals(positionals, at + 1, usage);
  const repository = positionals[at] ?? '';
  try {
    checkRepositoryName(repository);
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
  return repository;
}

/** `repository[:version]`, checked. */
export function repositoryRef(text: string | undefined, usage: string): RepositoryRef {
  try {
    return parseRepositoryRef(text ?? '');
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/** Comma-separated values of a repeatable option (`--require a,b --require c`), none empty. */
export function splitList(values: readonly string[] | undefined, option: string, usage: string): string[] {
  const items = (values ?? []).flatMap((value) => value.split(',')).map((item) => item.trim());
  if (items.some((item) => item === '')) throw new UsageError(`${option} has an empty item (expected a,b,c)`, usage);
  return items;
}

/** `--platform-override value=platform`, repeatable, each value once. */
export function parseOverrides(values: readonly string[], usage: string): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const text of values) {
    const equals = text.indexOf('=');
    const value = equals === -1 ? '' : text.slice(0, equals).trim();
    const platform = equals === -1 ? '' : text.slice(equals + 1).trim();
    if (value === '' || platform === '') {
      throw new UsageError(`--platform-override "${text}" must be value=platform, e.g. arm64=linux/arm64/v8`, usage);
    }
    const refused = refusedMapKeyReason(value);
    if (refused !== undefined) throw new UsageError(`--platform-override ${refused}`, usage);
    if (Object.hasOwn(overrides, value)) throw new UsageError(`--platform-override names "${value}" twice`, usage);
    overrides[value] = platform;
  }
  return overrides;
}

/**
 * `--annotation key=value`, repeatable, each key once; the value may be empty and may hold `=`.
 * Keys are checked here so a typo is a usage error; `__proto__` is refused by name.
 */
export function parseAnnotations(values: readonly string[], usage: string): Record<string, string> {
  const entries = new Map<string, string>();
  for (const text of values) {
    const equals = text.indexOf('=');
    if (equals === -1)
      throw new UsageError(
        `--annotation "${text}" must be key=value, e.g. org.opencontainers.image.source=https://github.com/org/repo`,
        usage,
      );
    const key = text.slice(0, equals).trim();
    const problem = annotationKeyProblem(key);
    if (problem !== undefined) throw new UsageError(`--annotation "${text}": ${problem}`, usage);
    if (entries.has(key)) throw new UsageError(`--annotation names "${key}" twice`, usage);
    entries.set(key, text.slice(equals + 1));
  }
  // fromEntries defines own properties: `constructor` is an ordinary key.
  return Object.fromEntries(entries);
}

/** A positive whole number. */
export function parseLimit(text: string, usage: string): number {
  if (!/^[1-9]\d{0,6}$/.test(text)) throw new UsageError(`--limit "${text}" must be a whole number from 1`, usage);
  return Number(text);
}

/** A value of a fixed set (`--on-stale wait`), checked here so that a typo is a usage error. */
export function choice<T extends Record<string, string>>(
  value: string | undefined,
  option: string,
  choices: T,
  usage: string,
): T[keyof T] | undefined {
  if (value === undefined) return undefined;
  const allowed = Object.values(choices);
  if (!allowed.includes(value)) throw new UsageError(`${option} "${value}" must be ${allowed.join(' or ')}`, usage);
  return value as T[keyof T];
}

/** auto, oci or docker. */
export function isIndexMediaTypeChoice(value: string): value is IndexMediaTypeChoice {
  return Object.values<string>(IndexMediaTypeChoices).includes(value);
}

/** One of the version states (VersionStates; docs/api.md). */
export function isVersionState(value: string): value is VersionState {
  return Object.values<string>(VersionStates).includes(value);
}
