#!/usr/bin/env node
// The package's bin. It registers tsx so that the TypeScript sources run as they are, from a fresh
// clone, without a build step; then it runs the CLI and hands its exit status to the shell.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
