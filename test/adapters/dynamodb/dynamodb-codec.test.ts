import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { fromAttributeMap, fromAttributeValue, toAttributeMap, toAttributeValue } from '../../../src/adapters/dynamodb/dynamodb-codec.ts';

describe('toAttributeValue / fromAttributeValue', () => {
  it.each([
    ['a string', 'linux/arm64', { S: 'linux/arm64' }],
    ['an empty string', '', { S: '' }],
    ['an integer', 401, { N: '401' }],
    ['a large epoch-ms integer', 1_800_000_030_000, { N: '1800000030000' }],
    ['a fraction', 0.5, { N: '0.5' }],
    ['a boolean', false, { BOOL: false }],
    ['null', null, { NULL: true }],
    ['an empty list', [], { L: [] }],
    ['an empty map', {}, { M: {} }],
    ['nested data', { a: [1, { b: 'c' }] }, { M: { a: { L: [{ N: '1' }, { M: { b: { S: 'c' } } }] } } }],
  ])('round-trips %s', (_, value, attribute) => {
    expect(toAttributeValue(value)).toStrictEqual(attribute);
    expect(fromAttributeValue(attribute)).toStrictEqual(value);
  });

  it('leaves out undefined properties, so absent optional fields stay absent', () => {
    const map = toAttributeMap({ os: 'linux', architecture: 'amd64', variant: undefined });
    expect(map).toStrictEqual({ os: { S: 'linux' }, architecture: { S: 'amd64' } });
    expect(Object.keys(fromAttributeMap(map))).toStrictEqual(['os', 'architecture']);
  });

  it.each([
    ['NaN', { size: Number.NaN }, '$.size: NaN cannot be stored'],
    ['undefined in a list', { tags: ['a', undefined] }, '$.tags[1]: a undefined cannot be stored'],
    ['a Set', { digests: new Set(['a']) }, '$.digests: a Set cannot be stored'],
    ['bytes', { bytes: new Uint8Array(1) }, '$.bytes: a Uint8Array cannot be stored'],
  ])('refuses %s, naming where it was', (_, value, message) => {
    expect(() => toAttributeValue(value)).toThrow(message);
  });

  it('reads a string set as a list of strings', () => {
    expect(fromAttributeValue({ SS: ['a', 'b'] })).toStrictEqual(['a', 'b']);
  });

  it('refuses attribute types it does not read, naming the path', () => {
    expect(() => fromAttributeMap({ blob: { B: new Uint8Array(1) } })).toThrow('$.blob: attribute type B is not read');
  });
});

describe('prototype keys in stored maps', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'reads %s back as an ordinary own key, leaving the prototype alone',
    (key) => {
      const plain = fromAttributeMap({ platformOverrides: { M: { [key]: { S: 'linux/arm64' }, arm: { S: 'linux/arm/v7' } } } });
      const overrides = plain.platformOverrides as Record<string, unknown>;
      expect(Object.getPrototypeOf(overrides)).toBe(Object.prototype);
      expect(Object.hasOwn(overrides, key)).toBe(true);
      expect(Object.keys(overrides)).toStrictEqual([key, 'arm']);
      expect(overrides[key]).toBe('linux/arm64');
    },
  );

  it('does not let a stored __proto__ map change the prototype of what it reads', () => {
    // Built with JSON.parse: an object literal's `__proto__:` would set the literal's prototype instead.
    const plain = fromAttributeMap(JSON.parse('{"__proto__":{"M":{"polluted":{"S":"yes"}}}}') as Record<string, AttributeValue>);
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect((plain as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(plain)).toStrictEqual(['__proto__']);
  });
});
