import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNNER_NODE_FLAGS } from '../../scripts/runner-node-flags.mjs';

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
});
