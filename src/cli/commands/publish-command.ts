import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-error.ts';
import { expectPositionals, type Options, repositoryRef } from '../arg-values.ts';
import { CliError, UsageError } from '../cli-error.ts';
import { formatVersionDetail, shortDigest } from '../format/format-status.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = { ...CONNECTION_OPTIONS, 'allow-partial': { type: 'boolean' } } as const satisfies Options;

const HELP = `Usage: manifest-assembler publish <repository>:<version> [--allow-partial]

Publishes the version now. Without --allow-partial, a version that still misses a required platform
is refused. A version published already gets the current config re-applied: its index is rebuilt
from the current config and the images its per-arch tags point at now, and put only if it differs.

Options:
  --allow-partial   publish with the platforms that are there

${CONNECTION_HELP}`;

/** `publish <repository>:<version>`: asks the API to publish now and prints the version as it stands afterwards. */
export const publishCommand = defineCommand({
  words: ['publish'],
  summary: [['publish <repository>:<version>', 'publish a version now (or re-apply the current config to it)']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals) => {
    expectPositionals(positionals, 2, HELP);
    const ref = repositoryRef(positionals[1], HELP);
    if (ref.version === undefined) throw new UsageError(`publish needs <repository>:<version>, got "${positionals[1]}"`, HELP);
    return { repository: ref.repository, version: ref.version, allowPartial: values['allow-partial'] === true };
  },
  run: async ({ repository, version, allowPartial }, { client, output }) => {
    const api = await client();
    let status: Awaited<ReturnType<ApiClient['publish']>>;
    try {
      status = await api.publish(repository, version, allowPartial);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && !allowPartial) {
        throw new CliError(`${error.message}\n(--allow-partial publishes the platforms that are there)`, { cause: error });
      }
      throw error;
    }
    if (status.published !== null && status.state === 'published') {
      const tags = status.tags !== undefined && status.tags.length > 0 ? status.tags : status.published.tags;
      output.out(`Published ${repository}:${version} as ${tags.join(', ')} (${shortDigest(status.published.digest)}).`);
    }
    output.out(formatVersionDetail(status));
  },
});
