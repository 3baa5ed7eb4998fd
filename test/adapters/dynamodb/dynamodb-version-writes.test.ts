import { describe, expect, it } from 'vitest';
import { allAndOneOf, eitherOf, historySequenceIsExpected } from '../../../src/adapters/dynamodb/dynamodb-version-writes.ts';
import { groupingDepth } from '../../support/condition-expressions.ts';

describe('allAndOneOf', () => {
  it('writes every clause and one alternative without grouping parentheses', () => {
    const condition = allAndOneOf(['#revision = :expectedRevision', 'attribute_not_exists(#lease)'], historySequenceIsExpected(3));
    expect(condition).toBe(
      '#revision = :expectedRevision AND attribute_not_exists(#lease) AND attribute_not_exists(#historySequence)' +
        ' OR #revision = :expectedRevision AND attribute_not_exists(#lease) AND #historySequence = :expectedHistorySequence',
    );
    expect(groupingDepth(condition)).toBe(0);
  });

  it('is a plain conjunction with one alternative', () => {
    expect(allAndOneOf(['attribute_exists(#pk)'], historySequenceIsExpected(0))).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#historySequence)',
    );
  });

  it('refuses a clause whose OR or group would change the meaning once the others are joined to it', () => {
    expect(() => allAndOneOf(['#a = :a OR #b = :b'], ['#c = :c'])).toThrow(/"#a = :a OR #b = :b" holds OR or a group/);
    expect(() => allAndOneOf(['(#a = :a)'], ['#c = :c'])).toThrow(/holds OR or a group/);
    expect(() => allAndOneOf(['#a = :a AND (#b = :b)'], ['#c = :c'])).toThrow(/holds OR or a group/);
  });
});

describe('eitherOf', () => {
  it('groups two alternatives and leaves one alone', () => {
    expect(eitherOf(historySequenceIsExpected(2))).toBe(
      '(attribute_not_exists(#historySequence) OR #historySequence = :expectedHistorySequence)',
    );
    expect(eitherOf(historySequenceIsExpected(0))).toBe('attribute_not_exists(#historySequence)');
  });
});
