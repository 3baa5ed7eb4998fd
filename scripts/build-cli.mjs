#!/usr/bin/env node
// Builds the CLI's bundle now, if it is not there yet for the sources as they are, and prints its
// folder. The bin builds it on its first run anyway (bin/cli-bundle.mjs holds the build); this is for
// doing it ahead, in an image or a CI step.
//
// Usage: node scripts/build-cli.mjs
import { relative } from 'node:path';
import { ensureCliBundle } from '../bin/cli-bundle.mjs';

const { dir, built } = await ensureCliBundle();
console.log(`${relative(process.cwd(), dir) || '.'} (${built ? 'built' : 'already up to date'})`);
