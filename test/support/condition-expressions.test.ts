import { describe, expect, it } from 'vitest';
import { groupingDepth } from './condition-expressions.ts';

describe('groupingDepth', () => {
  it('counts grouping parentheses, not function calls', () => {
    expect(groupingDepth('#a = :a')).toBe(0);
    expect(groupingDepth('attribute_not_exists(#a) AND size(#b) > :n')).toBe(0);
    expect(groupingDepth('#a = :a AND (attribute_not_exists(#b) OR #b = :b)')).toBe(1);
    expect(groupingDepth('(#a = :a) AND (#b = :b)')).toBe(1);
    expect(
      groupingDepth(
        '(attribute_not_exists(#announcement) OR (#announcement.#order <= :order AND ' +
          '(#announcement.#id <> :id OR (#announcement.#state = :pending AND #announcement.#until < :nowMs))))',
      ),
    ).toBe(4);
  });
});
