#!/usr/bin/env -S node --max-semi-space-size=1
// The package's bin. It runs an esbuild bundle of the CLI, built on the first run and again when a
// file under src/ changes (./cli-bundle.mjs), because running the TypeScript sources through tsx
// costs seconds per run; without esbuild it still runs them through tsx. Then it hands the CLI's
// exit status to the shell. It imports nothing outside bin/ but node: modules and packages.
import { loadCli } from './cli-bundle.mjs';

// The AWS SDK warns on Node 20 that releases after January 2027 will need Node 22; the SDK is pinned,
// and Lambda runs nodejs22.x, so the warning is noise here. Other warnings are still printed. The SDK
// emits it as a plain `Warning` whose message starts with the name (@aws-sdk/core,
// emitWarningIfUnsupportedVersion), so the message is what is matched.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (process.env.NODE_NO_WARNINGS === '1' || isNodeVersionSupportWarning(warning)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
// The bundle has linked source maps: an unexpected error's stack names src/ files and lines.
process.setSourceMapsEnabled(true);

const cli = await loadCli();
process.exitCode = await cli.main(process.argv.slice(2), cli.startLocalStack === undefined ? {} : { startLocalStack: cli.startLocalStack });

function isNodeVersionSupportWarning(warning) {
  return warning.name === 'NodeVersionSupportWarning' || warning.message.startsWith('NodeVersionSupportWarning:');
}
