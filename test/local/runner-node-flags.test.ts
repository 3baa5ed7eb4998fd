import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNNER_NODE_FLAGS } from '../../src/local/runner-node-flags.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the node flags of the local runner', () => {
  it("are the bin shebang's, so `npx manifest-assembler start` runs with them", () => {
    expect(read('bin/manifest-assembler.mjs').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${RUNNER_NODE_FLAGS.join(' ')}`);
  });

  it('are those of `npm start`', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`node ${RUNNER_NODE_FLAGS.join(' ')} scripts/start.mjs`);
  });

  it('are flags node accepts on its command line', () => {
    expect(RUNNER_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of RUNNER_NODE_FLAGS) expect(flag).toMatch(/^--[a-z-]+=\d+$/);
  });

  it('live under src/, which imports nothing from scripts/ (scripts run src, not the other way round)', () => {
    const sources = readdirSync(new URL('../../src', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((path) =>
      path.endsWith('.ts'),
    );
    expect(sources.length).toBeGreaterThan(0);
    const offending = sources.filter((path) => /from '(\.\.\/)+scripts\//.test(read(`src/${path}`)));
    expect(offending).toEqual([]);
  });
});
