import { InvalidInputError } from './errors.ts';

/**
 * Index annotations: the map a repository's config sets, the ones inherited from the children's
 * image configs, and how the two merge.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md
 */

/** Bounds on a repository's `annotations`: an index stays small, and a config item stays far below DynamoDB's 400 KB. */
export const AnnotationLimits = { entries: 32, keyLength: 128, valueLength: 1024 } as const;

/** The pre-defined OCI annotation keys share this prefix; only labels under it are inherited. */
export const OCI_IMAGE_PREFIX = 'org.opencontainers.image.';

/** Taken from the children's `created` times, never from their labels (see {@link inheritedAnnotations}). */
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

/**
 * Reverse-domain-ish: letters, digits, `.`, `_`, `-` and `/`, starting and ending with a letter or
 * digit; {@link annotationKeyProblem} also wants a letter and no empty dot segment
 * (`org.opencontainers.image.source`, `com.example.team`, `owner`).
 */
export const ANNOTATION_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

/** What is wrong with an annotation key, or undefined when it is a good one. */
export function annotationKeyProblem(key: string): string | undefined {
  // Stored as a plain object key, `__proto__` would be swallowed by the object's prototype setter
  // (and JSON parsers drop or mangle it); refused by name so the user knows why.
  if (key === '__proto__') return '"__proto__" cannot be an annotation key';
  if (key.length === 0 || key.length > AnnotationLimits.keyLength) {
    return `an annotation key has 1 to ${AnnotationLimits.keyLength} characters`;
  }
  if (!ANNOTATION_KEY.test(key) || key.includes('..') || !/[A-Za-z]/.test(key)) {
    // A key of digits only would also be put first by JavaScript's property order, out of sorted order.
    return `"${key}" is not an annotation key: use reverse-domain notation such as com.example.key (letters, digits, . _ - /)`;
  }
  return undefined;
}

/** What is wrong with an annotation value, or undefined. */
export function annotationValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'an annotation value must be a string';
  if (value.length > AnnotationLimits.valueLength) return `an annotation value has at most ${AnnotationLimits.valueLength} characters`;
  return undefined;
}

/** `annotations["org.example.key"]`: a field name that stays readable when the key holds dots. */
export function annotationField(key: string, field = 'annotations'): string {
  return `${field}[${JSON.stringify(key)}]`;
}

/**
 * Checks a configured annotation map and returns it with its keys sorted. Reads only own
 * properties, so `constructor` is an ordinary key. Throws {@link InvalidInputError} naming the entry.
 */
export function normaliseAnnotations(input: Readonly<Record<string, string>>, field = 'annotations'): Record<string, string> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError(`${field}: must be a map of annotation keys to strings`, field);
  }
  // Object.entries lists an own `__proto__` (as JSON.parse makes it), so it is refused below.
  const entries = Object.entries(input);
  if (entries.length > AnnotationLimits.entries) {
    throw new InvalidInputError(`${field}: at most ${AnnotationLimits.entries} annotations (got ${entries.length})`, field);
  }
  for (const [key, value] of entries) {
    const problem = annotationKeyProblem(key) ?? annotationValueProblem(value);
    if (problem !== undefined) throw new InvalidInputError(`${annotationField(key, field)}: ${problem}`, annotationField(key, field));
  }
  return sortedAnnotations(entries);
}

/** What each child contributes to inheritance; both fields are absent on images recorded before they existed. */
export interface InheritanceSource {
  readonly labels?: Readonly<Record<string, string>>;
  readonly created?: string;
}

/**
 * The annotations every child agrees on: each `org.opencontainers.image.*` label that all children
 * carry with one value, and {@link CREATED_ANNOTATION} as the latest child `created`.
 *
 * Only the children decide, never the clock, so the same children give the same annotations (and
 * the same index digest) in every region and on every run. A child that lacks a label or a created
 * time (an image recorded before these were read) means that key is not inherited. The `created`
 * label is ignored: children built apart disagree on it, and their created times say the same thing.
 */
export function inheritedAnnotations(images: readonly InheritanceSource[]): Record<string, string> {
  // A created time that does not parse is treated as missing: never recorded so, but a record is data.
  const [first, ...rest] = images;
  if (first === undefined) return {};
  const inherited: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(first.labels ?? {})) {
    if (!key.startsWith(OCI_IMAGE_PREFIX) || key === CREATED_ANNOTATION) continue;
    if (rest.every((image) => image.labels !== undefined && Object.hasOwn(image.labels, key) && image.labels[key] === value)) {
      inherited.push([key, value]);
    }
  }
  const created = images.map((image) => image.created);
  if (created.every((c): c is string => c !== undefined && isCreatedTime(c))) {
    inherited.push([CREATED_ANNOTATION, created.reduce((latest, c) => (compareCreated(c, latest) > 0 ? c : latest))]);
  }
  return sortedAnnotations(inherited);
}

/** The index's annotations: inherited ∪ configured, the configured value winning on a clash; keys sorted. */
export function indexAnnotations(
  images: readonly InheritanceSource[],
  configured: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged = new Map(Object.entries(inheritedAnnotations(images)));
  for (const [key, value] of Object.entries(configured)) merged.set(key, value);
  return sortedAnnotations([...merged]);
}

/** Entries as an object with keys in code-unit order (not locale order: the bytes must not depend on the machine). */
export function sortedAnnotations(entries: Iterable<readonly [string, string]>): Record<string, string> {
  // Object.fromEntries defines own properties, so no key reaches a prototype setter.
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// RFC 3339 section 5.6, as image configs write `created` (Go's time.Time: up to nine fraction digits).
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Whether `text` is an RFC 3339 date-time that names a real instant. */
export function isCreatedTime(text: string): boolean {
  return instantOf(text) !== undefined;
}

/**
 * Orders two RFC 3339 times by the instant they name (to the nanosecond); two spellings of one
 * instant are ordered by their text, so the latest of several is always the same string.
 */
export function compareCreated(a: string, b: string): number {
  const x = instantOf(a);
  const y = instantOf(b);
  if (x === undefined || y === undefined) throw new TypeError(`not an RFC 3339 time: ${x === undefined ? a : b}`);
  if (x.seconds !== y.seconds) return x.seconds - y.seconds;
  if (x.nanos !== y.nanos) return x.nanos < y.nanos ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function instantOf(text: string): { seconds: number; nanos: string } | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const ms = Date.parse(`${date}T${time}${zone.toUpperCase()}`);
  // Date.parse rolls 2026-02-31 over to March; a config that says so is not a time.
  if (Number.isNaN(ms) || new Date(Date.parse(`${date}T00:00:00Z`)).toISOString().slice(0, 10) !== date) return undefined;
  return { seconds: ms / 1000, nanos: fraction.padEnd(9, '0') };
}
