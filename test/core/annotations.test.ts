import { describe, expect, it } from 'vitest';
import {
  AnnotationLimits,
  annotationKeyProblem,
  CREATED_ANNOTATION,
  compareCreated,
  type InheritanceSource,
  indexAnnotations,
  inheritedAnnotations,
  isCreatedTime,
  normaliseAnnotations,
} from '../../src/core/annotations.ts';
import { InvalidInputError } from '../../src/core/errors.ts';

const SOURCE = 'org.opencontainers.image.source';
const REVISION = 'org.opencontainers.image.revision';
const TITLE = 'org.opencontainers.image.title';

describe('inheritedAnnotations and indexAnnotations', () => {
  const cases: Array<{ name: string; images: InheritanceSource[]; configured?: Record<string, string>; want: Record<string, string> }> = [
    { name: 'no images: nothing', images: [], want: {} },
    {
      name: 'one image: its OCI labels and its created',
      images: [{ labels: { [SOURCE]: 'https://x', [REVISION]: 'r1' }, created: '2026-01-02T03:04:05Z' }],
      want: { [CREATED_ANNOTATION]: '2026-01-02T03:04:05Z', [REVISION]: 'r1', [SOURCE]: 'https://x' },
    },
    {
      name: 'a label every image carries with one value is inherited; one that differs is not',
      images: [
        { labels: { [SOURCE]: 'https://x', [REVISION]: 'r1' }, created: '2026-01-01T00:00:00Z' },
        { labels: { [SOURCE]: 'https://x', [REVISION]: 'r2' }, created: '2026-01-01T00:00:00Z' },
      ],
      want: { [CREATED_ANNOTATION]: '2026-01-01T00:00:00Z', [SOURCE]: 'https://x' },
    },
    {
      name: 'a label only some images carry is not inherited',
      images: [{ labels: { [SOURCE]: 's', [TITLE]: 't' } }, { labels: { [SOURCE]: 's' } }],
      want: { [SOURCE]: 's' },
    },
    {
      name: 'an image recorded before labels were read (no labels): no label is inherited',
      images: [{ labels: { [SOURCE]: 's' }, created: '2026-01-01T00:00:00Z' }, { created: '2026-01-01T00:00:00Z' }],
      want: { [CREATED_ANNOTATION]: '2026-01-01T00:00:00Z' },
    },
    {
      name: 'an image without created: no created',
      images: [{ labels: { [SOURCE]: 's' }, created: '2026-01-01T00:00:00Z' }, { labels: { [SOURCE]: 's' } }],
      want: { [SOURCE]: 's' },
    },
    {
      name: 'created is the latest instant, whatever the zone or fraction',
      images: [
        { created: '2026-05-01T12:00:00.5Z' },
        { created: '2026-05-01T13:30:00+02:00' },
        { created: '2026-05-01T12:00:00.123456789Z' },
      ],
      want: { [CREATED_ANNOTATION]: '2026-05-01T12:00:00.5Z' },
    },
    {
      name: 'the created label is ignored: the created times decide',
      images: [
        { labels: { [CREATED_ANNOTATION]: '2030-01-01T00:00:00Z' }, created: '2026-01-01T00:00:00Z' },
        { labels: { [CREATED_ANNOTATION]: '2030-01-01T00:00:00Z' }, created: '2026-01-02T00:00:00Z' },
      ],
      want: { [CREATED_ANNOTATION]: '2026-01-02T00:00:00Z' },
    },
    {
      name: 'labels outside org.opencontainers.image. are not inherited',
      images: [
        { labels: { 'com.example.team': 'a', 'org.opencontainers.imagex': 'b' } },
        { labels: { 'com.example.team': 'a', 'org.opencontainers.imagex': 'b' } },
      ],
      want: {},
    },
    {
      name: 'a created time that does not parse counts as missing',
      images: [{ created: 'yesterday' }, { created: '2026-01-01T00:00:00Z' }],
      want: {},
    },
    {
      name: 'configured wins on a clash, also over created',
      images: [{ labels: { [SOURCE]: 'inherited' }, created: '2026-01-01T00:00:00Z' }],
      configured: { [SOURCE]: 'configured', [CREATED_ANNOTATION]: '2020-01-01T00:00:00Z', 'com.example.team': 'web' },
      want: { 'com.example.team': 'web', [CREATED_ANNOTATION]: '2020-01-01T00:00:00Z', [SOURCE]: 'configured' },
    },
    {
      name: 'configured only, no images',
      images: [],
      configured: { constructor: 'c' },
      want: { constructor: 'c' },
    },
    {
      name: 'a label named like an Object.prototype member is an ordinary key',
      images: [{ labels: { 'org.opencontainers.image.constructor': 'x' } }, { labels: {} }],
      want: {},
    },
  ];
  for (const { name, images, configured = {}, want } of cases) {
    it(name, () => {
      const got = indexAnnotations(images, configured);
      expect(got).toStrictEqual(want);
      // Keys in code-unit order: the serialised index depends on it.
      expect(Object.keys(got)).toEqual(Object.keys(want).sort());
      expect(indexAnnotations([...images].reverse(), configured)).toStrictEqual(got);
      if (Object.keys(configured).length === 0) expect(inheritedAnnotations(images)).toStrictEqual(want);
    });
  }
});

describe('compareCreated', () => {
  const cases: Array<{ a: string; b: string; want: -1 | 0 | 1 }> = [
    { a: '2026-01-01T00:00:00Z', b: '2026-01-01T00:00:01Z', want: -1 },
    { a: '2026-01-01T02:00:00+02:00', b: '2026-01-01T00:00:00Z', want: 0 },
    { a: '2026-01-01T00:00:00.000000002Z', b: '2026-01-01T00:00:00.000000001Z', want: 1 },
    { a: '2026-01-01T00:00:00.1Z', b: '2026-01-01T00:00:00.099999999Z', want: 1 },
  ];
  for (const { a, b, want } of cases) {
    it(`${a} vs ${b}: ${want}`, () => {
      const got = compareCreated(a, b);
      if (want === 0) {
        // One instant, two spellings: ordered by text so "the latest" is one string, whichever comes first.
        expect(got).not.toBe(0);
        expect(Math.sign(compareCreated(b, a))).toBe(-Math.sign(got));
      } else {
        expect(Math.sign(got)).toBe(want);
      }
    });
  }

  const times: Array<{ text: string; ok: boolean }> = [
    { text: '2026-11-27T10:00:00Z', ok: true },
    { text: '2026-11-27t10:00:00.123z', ok: true },
    { text: '2026-11-27T10:00:00-07:00', ok: true },
    { text: '2026-02-31T10:00:00Z', ok: false },
    { text: '2026-11-27 10:00:00Z', ok: false },
    { text: '2026-11-27T10:00:00', ok: false },
    { text: '2026-11-27T10:00:00.1234567890Z', ok: false },
    { text: '', ok: false },
  ];
  for (const { text, ok } of times) {
    it(`${JSON.stringify(text)} is ${ok ? '' : 'not '}an RFC 3339 time`, () => expect(isCreatedTime(text)).toBe(ok));
  }
});

describe('annotationKeyProblem', () => {
  const cases: Array<{ key: string; wantErr?: RegExp }> = [
    { key: 'org.opencontainers.image.source' },
    { key: 'com.example.myKey' },
    { key: 'in-toto.io/predicate-type' },
    { key: 'constructor' },
    { key: 'a' },
    { key: 'x'.repeat(AnnotationLimits.keyLength) },
    { key: '__proto__', wantErr: /"__proto__" cannot be an annotation key/ },
    { key: '', wantErr: /1 to 128 characters/ },
    { key: 'x'.repeat(AnnotationLimits.keyLength + 1), wantErr: /1 to 128 characters/ },
    { key: '.org.example', wantErr: /reverse-domain/ },
    { key: 'org..example', wantErr: /reverse-domain/ },
    { key: 'org.example.', wantErr: /reverse-domain/ },
    { key: 'org.example key', wantErr: /reverse-domain/ },
    { key: 'org.exämple', wantErr: /reverse-domain/ },
    { key: '1234', wantErr: /reverse-domain/ },
  ];
  for (const { key, wantErr } of cases) {
    it(`${wantErr === undefined ? 'accepts' : 'refuses'} ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}…(${key.length})` : key)}`, () => {
      const problem = annotationKeyProblem(key);
      if (wantErr === undefined) expect(problem).toBeUndefined();
      else expect(problem).toMatch(wantErr);
    });
  }
});

describe('normaliseAnnotations', () => {
  const refuse = (input: unknown): InvalidInputError => {
    try {
      normaliseAnnotations(input as Record<string, string>);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      return error as InvalidInputError;
    }
    throw new Error('expected a refusal');
  };

  it('refuses more than 32 entries, naming the map', () => {
    const input = Object.fromEntries(Array.from({ length: AnnotationLimits.entries + 1 }, (_, i) => [`com.example.k${i}`, 'v']));
    expect(refuse(input).field).toBe('annotations');
    expect(() => normaliseAnnotations(Object.fromEntries(Object.entries(input).slice(1)))).not.toThrow();
  });

  it('refuses a value over 1024 characters and a value that is not a string, naming the entry', () => {
    expect(refuse({ 'com.example.a': 'x'.repeat(AnnotationLimits.valueLength + 1) }).field).toBe('annotations["com.example.a"]');
    expect(refuse({ 'com.example.b': 7 }).message).toMatch(/^annotations\["com.example.b"\]: an annotation value must be a string/);
    expect(normaliseAnnotations({ 'com.example.a': 'x'.repeat(AnnotationLimits.valueLength) })['com.example.a']).toHaveLength(
      AnnotationLimits.valueLength,
    );
  });

  it('refuses a map that is not a map', () => {
    expect(refuse(['a']).field).toBe('annotations');
    expect(refuse(null).field).toBe('annotations');
  });

  it('refuses an own __proto__ key, as JSON.parse makes it', () => {
    const error = refuse(JSON.parse('{"__proto__": "x"}'));
    expect(error.message).toBe('annotations["__proto__"]: "__proto__" cannot be an annotation key');
  });
});
