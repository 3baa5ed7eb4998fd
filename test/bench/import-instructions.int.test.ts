import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canCountInstructions, processInstructions } from '../../bench/import-instructions.ts';

// Slow (a node process under valgrind takes seconds) and needs Debian's valgrind: npm test installs it when root.
describe.skipIf(!canCountInstructions())('processInstructions, under valgrind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'instructions-'));
  const module = join(dir, 'work.mjs');
  // Enough work at import that it stands far above the count's noise.
  writeFileSync(module, 'let sum = 0;\nfor (let i = 0; i < 200_000; i++) sum += i % 7;\nexport const total = sum;\n');
  const node = { path: process.execPath, version: process.version, flags: ['--expose-gc'] };
  const env = { PATH: process.env.PATH ?? '' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts an import the same in two processes, and more than a process that imports nothing', () => {
    const empty = processInstructions(node, undefined, env);
    const first = processInstructions(node, module, env) - empty;
    const second = processInstructions(node, module, env) - empty;
    expect(first).toBeGreaterThan(1_000_000);
    expect(Math.abs(first - second)).toBeLessThan(100_000);
  }, 120_000);
});
