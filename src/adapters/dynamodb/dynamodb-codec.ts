import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * A small JSON-shaped codec between plain values and DynamoDB attribute values.
 *
 * It does what `@aws-sdk/util-dynamodb`'s `marshall(…, { removeUndefinedValues: true })` and `unmarshall`
 * do for the values this project stores (strings, finite numbers, booleans, null, arrays, plain
 * objects), without the extra package. Kept on purpose, measured on 2026-12-01: util-dynamodb is not
 * in the SDK floor (client-dynamodb does not bundle it), and using it instead added 3.8 KB to every
 * Lambda bundle (on-image-push 83,419 -> 87,231 B over the floor, reconcile 64,469 -> 68,285 B), far
 * over their size ratchets (test/infra/bundle-size.int.test.ts), to remove about 55 lines. It also
 * reads a string set back as a `Set` where this codec gives an array (docs/architecture.md). Object properties that are `undefined` are left out, so an
 * optional field that is absent stays absent after a round trip. Anything else (a `Uint8Array`, a
 * `Set`, `NaN`, `undefined` inside an array) is a bug in the caller and throws, naming where it was.
 */
export type PlainValue = string | number | boolean | null | readonly PlainValue[] | { readonly [key: string]: PlainValue | undefined };

/** Converts one plain value to an attribute value. */
export function toAttributeValue(value: unknown, path = '$'): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be stored in DynamoDB (not a finite number)`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) {
    return { L: value.map((item, i) => toAttributeValue(item, `${path}[${i}]`)) };
  }
  if (isPlainObject(value)) return { M: toAttributeMap(value, path) };
  throw new TypeError(`${path}: a ${describeType(value)} cannot be stored in DynamoDB by this codec`);
}

/** Converts the properties of a plain object, leaving out the `undefined` ones. */
export function toAttributeMap(value: object, path = '$'): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) map[key] = toAttributeValue(item, `${path}.${key}`);
  }
  return map;
}

/** Converts one attribute value back to a plain value. */
export function fromAttributeValue(value: AttributeValue, path = '$'): PlainValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map((item, i) => fromAttributeValue(item, `${path}[${i}]`));
  if (value.M !== undefined) return fromAttributeMap(value.M, path);
  if (value.SS !== undefined) return [...value.SS];
  throw new TypeError(`${path}: attribute type ${Object.keys(value).join(',')} is not read by this codec`);
}

/**
 * Converts a whole item (or a map attribute) back to a plain object. Keys become own properties
 * whatever their name: assigning would turn a stored `__proto__` key into a prototype change.
 */
export function fromAttributeMap(map: Record<string, AttributeValue>, path = '$'): Record<string, PlainValue> {
  return Object.fromEntries(Object.entries(map).map(([key, item]) => [key, fromAttributeValue(item, `${path}.${key}`)]));
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
