import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { main } from '../../../src/cli/main.ts';
import { FakeApiServer } from '../support/fake-api-server.ts';

const TOKEN = 'republish-token';
const d = (fill: string) => `sha256:${fill.repeat(64)}`;

describe('backfill --republish', () => {
  let api: FakeApiServer;

  beforeEach(async () => {
    api = await FakeApiServer.start({ token: TOKEN });
    api.configs.set('opt', { requiredPlatforms: ['linux/amd64'] });
    api.republishPages.set('opt', [
      {
        repository: 'opt',
        versionsChecked: 2,
        changed: [{ version: '1.0', from: d('a'), to: d('b'), platformsAdded: [], platformsRemoved: ['linux/arm64'], movedTags: [] }],
        unchanged: 1,
        waiting: [],
        conflicts: [],
        failures: [],
      },
      {
        repository: 'opt',
        versionsChecked: 2,
        changed: [{ version: '1.2', from: null, to: d('c'), platformsAdded: ['linux/amd64'], platformsRemoved: [], movedTags: [] }],
        unchanged: 0,
        waiting: [{ version: '1.3', missingPlatforms: ['linux/arm/v7'] }],
        conflicts: [],
        failures: [],
      },
    ]);
  });
  afterEach(async () => {
    await api.close();
  });

  async function run(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main([...argv, '--api', api.url, '--token', TOKEN], {
      env: {},
      cwd: '/nonexistent',
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    });
    return { code, stdout, stderr };
  }

  it('parses --republish beside --dry-run', () => {
    expect(parseCommandLine(['backfill', 'opt', '--republish', '--dry-run'])).toMatchObject({
      command: { name: 'backfill', repository: 'opt', dryRun: true, republish: true },
    });
    expect(parseCommandLine(['backfill', 'opt'])).toMatchObject({ command: { name: 'backfill', dryRun: false } });
  });

  it('--dry-run follows every page and prints one table of what would change', async () => {
    const result = await run(['backfill', 'opt', '--republish', '--dry-run']);
    expect(api.requests.map((r) => JSON.parse(r.body))).toEqual([
      { republish: true, dryRun: true },
      { republish: true, dryRun: true, cursor: '1' },
    ]);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'opt: 4 versions checked against the current config',
        '',
        'VERSION  FROM          TO            ADDED        REMOVED      MOVED TAGS',
        '1.0      aaaaaaaaaaaa  bbbbbbbbbbbb  -            linux/arm64  -',
        '1.2      -             cccccccccccc  linux/amd64  -            -',
        '',
        '  1.3: waits for linux/arm/v7 (not republished)',
        '',
        'Would republish 2 versions; 1 unchanged; 1 waiting.',
        "Run 'manifest-assembler backfill opt --republish' without --dry-run to do it.",
        '',
      ].join('\n'),
    });
  });

  it('republishes, and prints the pages as JSON with --json', async () => {
    const result = await run(['backfill', 'opt', '--republish']);
    expect(api.requests.map((r) => JSON.parse(r.body))).toEqual([{ republish: true }, { republish: true, cursor: '1' }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Republished 2 versions; 1 unchanged; 1 waiting.');
    const json = await run(['backfill', 'opt', '--republish', '--json']);
    expect((JSON.parse(json.stdout) as { reports: Array<{ changed: unknown[] }> }).reports.map((r) => r.changed.length)).toEqual([1, 1]);
  });
});
