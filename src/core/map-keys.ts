/**
 * The one key a user-supplied map (platformOverrides, annotations…) may not have: `__proto__`.
 * Assigned to a plain object it replaces the prototype instead of adding a key, so it would be
 * silently dropped (or worse); every other name, `constructor` and `toString` included, is an
 * ordinary key. Checked at every edge where such a map comes in.
 */
export function refusedMapKeyReason(key: string): string | undefined {
  return key === '__proto__' ? '"__proto__" cannot be a key (it names the object prototype in JavaScript)' : undefined;
}

/** A plain object (not an array, not a class instance), judged without reading any of its own keys. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
