import { describe, expect, it } from 'vitest';
import { RecentPuts } from '../../src/core/recent-puts.ts';

describe('RecentPuts', () => {
  it('knows a put by repository, tag and digest', () => {
    const puts = new RecentPuts();
    puts.add('hello', '2.7', 'sha256:a');
    expect(puts.has('hello', '2.7', 'sha256:a')).toBe(true);
    expect(puts.has('hello', '2.7', 'sha256:b')).toBe(false);
    expect(puts.has('hello', '2.8', 'sha256:a')).toBe(false);
    expect(puts.has('team/hello', '2.7', 'sha256:a')).toBe(false);
  });

  it('forgets the oldest put beyond its limit; adding one again makes it the newest', () => {
    const puts = new RecentPuts(2);
    puts.add('hello', '1', 'sha256:a');
    puts.add('hello', '2', 'sha256:a');
    puts.add('hello', '1', 'sha256:a');
    puts.add('hello', '3', 'sha256:a');
    expect([1, 2, 3].map((tag) => puts.has('hello', String(tag), 'sha256:a'))).toEqual([true, false, true]);
  });
});
