import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesUnder, zipPackage } from '../../../bench/lambda-init/function-package.ts';

const dir = mkdtempSync(join(tmpdir(), 'function-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each entry's name, Unix mode and content, as Python's zipfile (another implementation than the one that wrote it) reads them. */
function readBack(zip: Uint8Array): { name: string; mode: string; text: string }[] {
  const file = join(dir, `read-${Math.random()}.zip`);
  writeFileSync(file, zip);
  const script =
    'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n' +
    'print(json.dumps([{"name": i.filename, "mode": oct(i.external_attr >> 16), "text": z.read(i).decode()} for i in z.infolist()]))';
  const result = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

describe('filesUnder and zipPackage', () => {
  it('packages a folder with its subfolders, sorted, each file readable by all (Lambda unpacks as another user)', () => {
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'chunks'), { recursive: true });
    writeFileSync(join(bundle, 'index.mjs'), 'export const handler = 1;');
    writeFileSync(join(bundle, 'chunks', 'start.mjs'), 'export const a = [];');
    const files = new Map([...filesUnder(bundle), ['check.mjs', new TextEncoder().encode('// check')] as [string, Uint8Array]]);
    expect(readBack(zipPackage(files))).toEqual([
      { name: 'check.mjs', mode: '0o100644', text: '// check' },
      { name: 'chunks/start.mjs', mode: '0o100644', text: 'export const a = [];' },
      { name: 'index.mjs', mode: '0o100644', text: 'export const handler = 1;' },
    ]);
  });

  it('makes the same bytes from the same files (no clock in the zip)', () => {
    const files = new Map([['a.mjs', new Uint8Array([1, 2, 3])]]);
    expect(Buffer.from(zipPackage(files)).equals(Buffer.from(zipPackage(new Map(files))))).toBe(true);
  });

  it.each(['/etc/passwd', '../outside.mjs', 'a/../../b.mjs'])('refuses the path %s, which would land outside the package', (path) => {
    expect(() => zipPackage(new Map([[path, new Uint8Array()]]))).toThrow(/must be relative and stay inside/);
  });
});
