import { describe, expect, it } from 'vitest';
import { type ParsedCommandLine, parseCommandLine } from '../../src/cli/args.ts';
import { UsageError } from '../../src/cli/cli-error.ts';
import { Usages } from '../../src/cli/usage.ts';

const NO_GLOBALS = { sigv4: false };

describe('parseCommandLine', () => {
  describe('when the command line is valid', () => {
    const cases: { name: string; argv: string[]; want: ParsedCommandLine }[] = [
      { name: 'start', argv: ['start'], want: { kind: 'run', command: { name: 'start' }, global: NO_GLOBALS } },
      {
        name: 'config set with every option',
        argv: [
          'config',
          'set',
          'team/hello',
          '--require',
          'linux/amd64,linux/arm64',
          '--require',
          'windows(10.0.20348)/amd64',
          '--optional',
          'linux/arm/v7',
          '--tag-pattern',
          '^(?<version>.+)_(?<platform>[^_]+)$',
          '--target-tag',
          '{version}',
          '--target-tag',
          'v{version}',
          '--index-media-type',
          'oci',
          '--platform-override',
          'arm64=linux/arm64/v8',
          '--platform-override',
          'x=linux/amd64',
          '--stale-after',
          '6h',
          '--on-stale',
          'publish-partial',
          '--on-drift',
          'restore',
          '--annotation',
          'org.opencontainers.image.source=https://github.com/org/repo',
          '--annotation',
          'constructor=a=b',
          '--annotation',
          'com.example.empty=',
        ],
        want: {
          kind: 'run',
          command: {
            name: 'config-set',
            repository: 'team/hello',
            config: {
              requiredPlatforms: ['linux/amd64', 'linux/arm64', 'windows(10.0.20348)/amd64'],
              optionalPlatforms: ['linux/arm/v7'],
              tagPattern: '^(?<version>.+)_(?<platform>[^_]+)$',
              targetTags: ['{version}', 'v{version}'],
              indexMediaType: 'oci',
              platformOverrides: { arm64: 'linux/arm64/v8', x: 'linux/amd64' },
              staleAfter: '6h',
              onStale: 'publish-partial',
              onDrift: 'restore',
              annotations: {
                'org.opencontainers.image.source': 'https://github.com/org/repo',
                constructor: 'a=b',
                'com.example.empty': '',
              },
            },
          },
          global: NO_GLOBALS,
        },
      },
      {
        name: 'config set with overrides keyed constructor and toString keeps them as ordinary keys',
        argv: [
          'config',
          'set',
          'hello',
          '--require=linux/amd64',
          '--platform-override',
          'constructor=linux/arm64',
          '--platform-override',
          'toString=linux/amd64',
        ],
        want: {
          kind: 'run',
          command: {
            name: 'config-set',
            repository: 'hello',
            config: { requiredPlatforms: ['linux/amd64'], platformOverrides: { constructor: 'linux/arm64', toString: 'linux/amd64' } },
          },
          global: NO_GLOBALS,
        },
      },
      {
        name: 'config set with only --require sends only requiredPlatforms',
        argv: ['config', 'set', 'hello', '--require=linux/amd64'],
        want: {
          kind: 'run',
          command: { name: 'config-set', repository: 'hello', config: { requiredPlatforms: ['linux/amd64'] } },
          global: NO_GLOBALS,
        },
      },
      {
        name: 'config set --stale-after never sends null',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--stale-after', 'never'],
        want: {
          kind: 'run',
          command: { name: 'config-set', repository: 'hello', config: { requiredPlatforms: ['linux/amd64'], staleAfter: null } },
          global: NO_GLOBALS,
        },
      },
      {
        name: 'config get',
        argv: ['config', 'get', 'team/hello'],
        want: { kind: 'run', command: { name: 'config-get', repository: 'team/hello' }, global: NO_GLOBALS },
      },
      {
        name: 'config delete',
        argv: ['config', 'delete', 'a/b/c'],
        want: { kind: 'run', command: { name: 'config-delete', repository: 'a/b/c' }, global: NO_GLOBALS },
      },
      { name: 'repos', argv: ['repos'], want: { kind: 'run', command: { name: 'repos', json: false }, global: NO_GLOBALS } },
      {
        name: 'global options before the command',
        argv: ['--api', 'https://x.example', '--token', 't', '--region', 'eu-west-1', '--sigv4', 'repos', '--json'],
        want: {
          kind: 'run',
          command: { name: 'repos', json: true },
          global: { api: 'https://x.example', token: 't', region: 'eu-west-1', sigv4: true },
        },
      },
      {
        name: 'status of a repository with filters',
        argv: ['status', 'team/hello', '--state', 'conflict', '--limit', '20', '--json'],
        want: {
          kind: 'run',
          command: { name: 'status', repository: 'team/hello', json: true, state: 'conflict', limit: 20 },
          global: NO_GLOBALS,
        },
      },
      {
        name: 'status of one version',
        argv: ['status', 'team/hello:2.7-rc1'],
        want: { kind: 'run', command: { name: 'status', repository: 'team/hello', version: '2.7-rc1', json: false }, global: NO_GLOBALS },
      },
      {
        name: 'publish',
        argv: ['publish', 'team/hello:2.7', '--allow-partial', '--api', 'http://127.0.0.1:9'],
        want: {
          kind: 'run',
          command: { name: 'publish', repository: 'team/hello', version: '2.7', allowPartial: true },
          global: { api: 'http://127.0.0.1:9', sigv4: false },
        },
      },
      {
        name: 'publish without --allow-partial',
        argv: ['publish', 'hello:1'],
        want: { kind: 'run', command: { name: 'publish', repository: 'hello', version: '1', allowPartial: false }, global: NO_GLOBALS },
      },
      {
        name: 'reconcile every repository',
        argv: ['reconcile'],
        want: { kind: 'run', command: { name: 'reconcile', json: false }, global: NO_GLOBALS },
      },
      {
        name: 'reconcile one repository as JSON',
        argv: ['reconcile', 'team/hello', '--json', '--token', 't'],
        want: { kind: 'run', command: { name: 'reconcile', repository: 'team/hello', json: true }, global: { token: 't', sigv4: false } },
      },
      {
        name: 'backfill',
        argv: ['backfill', 'team/hello'],
        want: { kind: 'run', command: { name: 'backfill', repository: 'team/hello', dryRun: false, json: false }, global: NO_GLOBALS },
      },
      {
        name: 'backfill --dry-run --json, options first',
        argv: ['--dry-run', 'backfill', '--json', 'hello'],
        want: { kind: 'run', command: { name: 'backfill', repository: 'hello', dryRun: true, json: true }, global: NO_GLOBALS },
      },
      { name: 'reconcile --help', argv: ['reconcile', '--help'], want: { kind: 'help', text: Usages.reconcile } },
      { name: 'backfill --help (no repository needed)', argv: ['backfill', '-h'], want: { kind: 'help', text: Usages.backfill } },
      { name: 'help backfill', argv: ['help', 'backfill'], want: { kind: 'help', text: Usages.backfill } },
      { name: 'help reconcile', argv: ['help', 'reconcile'], want: { kind: 'help', text: Usages.reconcile } },
      { name: '--help', argv: ['--help'], want: { kind: 'help', text: Usages.main } },
      { name: '-h', argv: ['-h'], want: { kind: 'help', text: Usages.main } },
      { name: 'help', argv: ['help'], want: { kind: 'help', text: Usages.main } },
      { name: 'help status', argv: ['help', 'status'], want: { kind: 'help', text: Usages.status } },
      { name: 'help config set', argv: ['help', 'config', 'set'], want: { kind: 'help', text: Usages.configSet } },
      { name: 'start --help', argv: ['start', '--help'], want: { kind: 'help', text: Usages.start } },
      { name: 'config --help', argv: ['config', '--help'], want: { kind: 'help', text: Usages.config } },
      {
        name: 'config set --help (no repository needed)',
        argv: ['config', 'set', '--help'],
        want: { kind: 'help', text: Usages.configSet },
      },
      { name: 'config get --help', argv: ['config', 'get', '-h'], want: { kind: 'help', text: Usages.configGet } },
      { name: 'config delete --help', argv: ['config', 'delete', '--help'], want: { kind: 'help', text: Usages.configDelete } },
      { name: 'repos --help', argv: ['repos', '--help'], want: { kind: 'help', text: Usages.repos } },
      { name: 'status --help', argv: ['status', '--help'], want: { kind: 'help', text: Usages.status } },
      { name: 'publish --help', argv: ['publish', '--help'], want: { kind: 'help', text: Usages.publish } },
      {
        name: 'dashboard on its default port',
        argv: ['dashboard'],
        want: { kind: 'run', command: { name: 'dashboard', port: 8090 }, global: NO_GLOBALS },
      },
      {
        name: 'dashboard of a deployed API on any free port',
        argv: ['dashboard', '--api', 'https://abc.execute-api.eu-west-1.amazonaws.com', '--port', '0'],
        want: {
          kind: 'run',
          command: { name: 'dashboard', port: 0 },
          global: { sigv4: false, api: 'https://abc.execute-api.eu-west-1.amazonaws.com' },
        },
      },
      { name: 'dashboard --help', argv: ['dashboard', '--help'], want: { kind: 'help', text: Usages.dashboard } },
      {
        name: 'wait with a token that starts with a dash',
        argv: ['wait', 'hello:2.7', '--token', '-Zx9_token', '--timeout', '90s'],
        want: {
          kind: 'run',
          command: { name: 'wait', repository: 'hello', version: '2.7', timeoutMs: 90_000, json: false },
          global: { sigv4: false, token: '-Zx9_token' },
        },
      },
      {
        name: 'a token that starts with a dash before the command',
        argv: ['--token', '--', 'repos'],
        want: { kind: 'run', command: { name: 'repos', json: false }, global: { sigv4: false, token: '--' } },
      },
      {
        name: 'status of one version with its history',
        argv: ['status', 'hello:2.7', '--history'],
        want: {
          kind: 'run',
          command: { name: 'status', repository: 'hello', version: '2.7', json: false, history: true },
          global: NO_GLOBALS,
        },
      },
    ];
    it.each(cases)('$name', ({ argv, want }) => {
      expect(parseCommandLine(argv)).toEqual(want);
    });
  });

  describe('when the command line is wrong', () => {
    const cases: { name: string; argv: string[]; message: RegExp; usage: string }[] = [
      { name: 'no command', argv: [], message: /no command given/, usage: Usages.main },
      { name: 'an unknown command', argv: ['frobnicate'], message: /unknown command "frobnicate"/, usage: Usages.main },
      { name: 'an unknown option', argv: ['repos', '--colour'], message: /Unknown option '--colour'/, usage: Usages.repos },
      { name: 'a string option without a value', argv: ['repos', '--api'], message: /--api/, usage: Usages.repos },
      { name: 'a value for a flag', argv: ['repos', '--json=yes'], message: /--json/, usage: Usages.repos },
      { name: 'an extra argument to repos', argv: ['repos', 'hello'], message: /unexpected argument "hello"/, usage: Usages.repos },
      { name: 'an empty --token', argv: ['repos', '--token', ''], message: /--token is empty/, usage: Usages.repos },
      { name: 'start with an argument', argv: ['start', 'now'], message: /unexpected argument "now"/, usage: Usages.start },
      {
        name: 'start with a connection option',
        argv: ['start', '--api', 'http://x'],
        message: /Unknown option '--api'/,
        usage: Usages.start,
      },
      { name: 'config without an action', argv: ['config'], message: /config needs an action/, usage: Usages.config },
      {
        name: 'config with an unknown action',
        argv: ['config', 'show', 'x'],
        message: /unknown config action "show"/,
        usage: Usages.config,
      },
      {
        name: 'config set without a repository',
        argv: ['config', 'set', '--require', 'linux/amd64'],
        message: /missing argument/,
        usage: Usages.configSet,
      },
      { name: 'config set without --require', argv: ['config', 'set', 'hello'], message: /needs --require/, usage: Usages.configSet },
      {
        name: 'config set with an empty platform',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64,'],
        message: /--require has an empty item/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an empty optional platform',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--optional', ''],
        message: /--optional has an empty item/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with a bad media type choice',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--index-media-type', 'v2'],
        message: /must be auto, oci or docker/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an override without =',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--platform-override', 'arm64'],
        message: /must be value=platform/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an override without a platform',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--platform-override', 'arm64='],
        message: /must be value=platform/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with one override value twice',
        argv: [
          'config',
          'set',
          'hello',
          '--require',
          'linux/amd64',
          '--platform-override',
          'a=linux/amd64',
          '--platform-override',
          'a=linux/arm64',
        ],
        message: /names "a" twice/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an override keyed __proto__',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--platform-override', '__proto__=linux/arm64'],
        message: /--platform-override "__proto__" cannot be a key/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an empty tag pattern',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--tag-pattern', ''],
        message: /--tag-pattern is empty/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an empty target tag',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--target-tag', ''],
        message: /--target-tag is empty/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with a bad --on-stale',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--on-stale', 'publish'],
        message: /--on-stale "publish" must be wait or publish-partial/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an annotation without =',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--annotation', 'com.example.a'],
        message: /--annotation "com.example.a" must be key=value/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with a __proto__ annotation',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--annotation', '__proto__=x'],
        message: /"__proto__" cannot be an annotation key/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with a bad annotation key',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--annotation', 'a b=x'],
        message: /is not an annotation key/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an empty annotation key',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--annotation', '=x'],
        message: /1 to 128 characters/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with one annotation key twice',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--annotation', 'a=1', '--annotation', 'a=2'],
        message: /--annotation names "a" twice/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with a bad --on-drift',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--on-drift', 'fix'],
        message: /--on-drift "fix" must be report or restore/,
        usage: Usages.configSet,
      },
      {
        name: 'config set with an empty --stale-after',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--stale-after='],
        message: /--stale-after is empty/,
        usage: Usages.configSet,
      },
      {
        name: 'config get with a one-letter repository',
        argv: ['config', 'get', 'a'],
        message: /2 to 255 characters/,
        usage: Usages.configGet,
      },
      {
        name: 'config set with a status option',
        argv: ['config', 'set', 'hello', '--require', 'linux/amd64', '--json'],
        message: /Unknown option '--json'/,
        usage: Usages.configSet,
      },
      {
        name: 'config get with an upper-case repository',
        argv: ['config', 'get', 'Team/Hello'],
        message: /"Team\/Hello" is not a repository name/,
        usage: Usages.configGet,
      },
      {
        name: 'config get with .. in the repository',
        argv: ['config', 'get', 'team/../admin'],
        message: /is not a repository name/,
        usage: Usages.configGet,
      },
      {
        name: 'config get with two repositories',
        argv: ['config', 'get', 'a', 'b'],
        message: /unexpected argument "b"/,
        usage: Usages.configGet,
      },
      { name: 'config delete without a repository', argv: ['config', 'delete'], message: /missing argument/, usage: Usages.configDelete },
      { name: 'status without a repository', argv: ['status'], message: /missing argument/, usage: Usages.status },
      {
        name: 'status with an unknown state',
        argv: ['status', 'hello', '--state', 'done'],
        message: /--state "done" must be one of waiting, stale, publishing, published, failed, conflict/,
        usage: Usages.status,
      },
      { name: 'status with a zero limit', argv: ['status', 'hello', '--limit', '0'], message: /--limit "0"/, usage: Usages.status },
      {
        name: 'status with a limit that is not a number',
        argv: ['status', 'hello', '--limit', 'ten'],
        message: /--limit "ten"/,
        usage: Usages.status,
      },
      {
        name: 'status of one version with --state',
        argv: ['status', 'hello:1', '--state', 'failed'],
        message: /apply to a repository/,
        usage: Usages.status,
      },
      { name: 'status with an empty version', argv: ['status', 'hello:'], message: /"" is not a version/, usage: Usages.status },
      {
        name: 'status with a version that is not a tag',
        argv: ['status', 'hello:a/b'],
        message: /"a\/b" is not a version/,
        usage: Usages.status,
      },
      {
        name: 'publish without a version',
        argv: ['publish', 'team/hello'],
        message: /publish needs <repository>:<version>/,
        usage: Usages.publish,
      },
      { name: 'publish without anything', argv: ['publish'], message: /missing argument/, usage: Usages.publish },
      {
        name: 'reconcile with two repositories',
        argv: ['reconcile', 'a/b', 'c/d'],
        message: /unexpected argument "c\/d"/,
        usage: Usages.reconcile,
      },
      {
        name: 'reconcile with a bad repository name',
        argv: ['reconcile', 'Team/x'],
        message: /"Team\/x" is not a repository name/,
        usage: Usages.reconcile,
      },
      {
        name: 'reconcile with a version',
        argv: ['reconcile', 'team/hello:2.7'],
        message: /is not a repository name/,
        usage: Usages.reconcile,
      },
      {
        name: 'reconcile --dry-run',
        argv: ['reconcile', 'hello', '--dry-run'],
        message: /Unknown option '--dry-run'/,
        usage: Usages.reconcile,
      },
      {
        name: 'backfill without a repository',
        argv: ['backfill', '--dry-run'],
        message: /missing argument after "backfill"/,
        usage: Usages.backfill,
      },
      {
        name: 'backfill with two repositories',
        argv: ['backfill', 'a/b', 'c/d'],
        message: /unexpected argument "c\/d"/,
        usage: Usages.backfill,
      },
      {
        name: 'backfill with a value for --dry-run',
        argv: ['backfill', 'hello', '--dry-run=no'],
        message: /--dry-run/,
        usage: Usages.backfill,
      },
      {
        name: 'backfill with a status option',
        argv: ['backfill', 'hello', '--state', 'waiting'],
        message: /Unknown option '--state'/,
        usage: Usages.backfill,
      },
      {
        name: 'publish with an unknown flag',
        argv: ['publish', 'hello:1', '--force'],
        message: /Unknown option '--force'/,
        usage: Usages.publish,
      },
      {
        name: 'dashboard with a port that is not a number',
        argv: ['dashboard', '--port', 'http'],
        message: /--port "http" must be a port number/,
        usage: Usages.dashboard,
      },
      {
        name: 'dashboard with a port past 65535',
        argv: ['dashboard', '--port', '70000'],
        message: /--port "70000"/,
        usage: Usages.dashboard,
      },
      { name: 'dashboard with an argument', argv: ['dashboard', 'hello'], message: /unexpected argument "hello"/, usage: Usages.dashboard },
      {
        name: 'status of a repository with --history',
        argv: ['status', 'hello', '--history'],
        message: /--history applies to one version/,
        usage: Usages.status,
      },
    ];
    it.each(cases)('$name', ({ argv, message, usage }) => {
      let thrown: unknown;
      try {
        parseCommandLine(argv);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toMatch(message);
      expect((thrown as UsageError).usage).toBe(usage);
    });
  });
});
