import { describe, expect, it } from 'vitest';
import { ProcessedEventIds } from '../../../src/local/inbox/processed-event-ids.ts';

describe('ProcessedEventIds', () => {
  it('remembers an id once it is added', () => {
    const ids = new ProcessedEventIds(3);
    expect(ids.has('a')).toBe(false);
    ids.add('a');
    expect(ids.has('a')).toBe(true);
  });

  describe('when full', () => {
    it('forgets the least recently used id first', () => {
      const ids = new ProcessedEventIds(3);
      ids.add('a');
      ids.add('b');
      ids.add('c');
      expect(ids.has('a')).toBe(true); // touches a: b is now the oldest
      ids.add('d');
      expect(ids.size).toBe(3);
      expect(ids.has('b')).toBe(false);
      expect(ids.has('a')).toBe(true);
      expect(ids.has('c')).toBe(true);
      expect(ids.has('d')).toBe(true);
    });

    it('keeps its size bounded however many ids arrive', () => {
      const ids = new ProcessedEventIds(100);
      for (let i = 0; i < 1000; i++) ids.add(`id-${i}`);
      expect(ids.size).toBe(100);
      expect(ids.has('id-899')).toBe(false);
      expect(ids.has('id-900')).toBe(true);
    });
  });

  it('does not grow when the same id is added twice', () => {
    const ids = new ProcessedEventIds(3);
    ids.add('a');
    ids.add('a');
    expect(ids.size).toBe(1);
  });

  it.each([0, -1, 1.5])('refuses capacity %s', (capacity) => {
    expect(() => new ProcessedEventIds(capacity)).toThrow(/positive integer/);
  });
});
