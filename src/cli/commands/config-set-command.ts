import { OnDriftChoices, OnStaleChoices, type RepositoryConfigInput, TagMutabilityChoices } from '../../core/repository-config.ts';
import {
  choice,
  isIndexMediaTypeChoice,
  type Options,
  parseAnnotations,
  parseOverrides,
  repositoryArgument,
  splitList,
} from '../arg-values.ts';
import { UsageError } from '../cli-error.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  require: { type: 'string', multiple: true },
  optional: { type: 'string', multiple: true },
  'tag-pattern': { type: 'string' },
  'target-tag': { type: 'string', multiple: true },
  'index-media-type': { type: 'string' },
  'platform-override': { type: 'string', multiple: true },
  'stale-after': { type: 'string' },
  'on-stale': { type: 'string' },
  'on-drift': { type: 'string' },
  annotation: { type: 'string', multiple: true },
  'tag-mutability': { type: 'string' },
} as const satisfies Options;

const HELP = `Usage: manifest-assembler config set <repository> --require <platform,...> [options]

Replaces the repository's config; options left out take their defaults.

Options:
  --require <platform,...>         platforms every version needs before it is published (required; repeatable)
  --optional <platform,...>        platforms included when present (repeatable)
  --tag-pattern <regex>            how a per-arch tag reads, with a (?<version>...) group
                                   (default: ^(?<version>.+)-(?<platform>[^-]+)$)
  --target-tag <template>          tag that receives the index (repeatable; default: {version}): exact with
                                   {version}, or floating (latest, {major}, {major}.{minor}), which moves
                                   only forward, to the highest release; at least one must be exact
  --index-media-type <choice>      auto (default), oci or docker
  --platform-override <value=platform>
                                   use this platform for images whose tag's platform group is value,
                                   e.g. arm64=linux/arm64/v8 (repeatable)
  --stale-after <duration>         a version still missing platforms this long after its first push
                                   is stale: 30m, 6h, 2d, or never (the default)
  --on-stale <choice>              wait (default), or publish-partial: publish what a stale version has
  --on-drift <choice>              when someone else moves a published tag: report (default) or restore
  --annotation <key=value>         an annotation of every published OCI index, e.g.
                                   org.opencontainers.image.source=https://github.com/org/repo (repeatable);
                                   wins over the org.opencontainers.image.* labels the images agree on
  --tag-mutability <choice>        mutable (default) or immutable: publish each version once, report rebuilds

Platforms are os[(os.version)]/architecture[/variant], e.g. linux/amd64,linux/arm64,windows(10.0.20348)/amd64.

${CONNECTION_HELP}`;

/** `config set <repository> --require …`: replaces the repository's config and prints what the API stored (normalised). */
export const configSetCommand = defineCommand({
  words: ['config', 'set'],
  summary: [['config set <repository> --require ...', 'set which platforms a repository needs, and how tags read']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals) => {
    const repository = repositoryArgument(positionals, 2, HELP);
    const requiredPlatforms = splitList(values.require, '--require', HELP);
    if (requiredPlatforms.length === 0) throw new UsageError('config set needs --require with at least one platform', HELP);
    const indexMediaType = values['index-media-type'];
    if (indexMediaType !== undefined && !isIndexMediaTypeChoice(indexMediaType)) {
      throw new UsageError(`--index-media-type "${indexMediaType}" must be auto, oci or docker`, HELP);
    }
    const onStale = choice(values['on-stale'], '--on-stale', OnStaleChoices, HELP);
    const onDrift = choice(values['on-drift'], '--on-drift', OnDriftChoices, HELP);
    const tagMutability = choice(values['tag-mutability'], '--tag-mutability', TagMutabilityChoices, HELP);
    const staleAfterText = values['stale-after'];
    if (staleAfterText === '') throw new UsageError('--stale-after is empty (a duration such as 6h, or never)', HELP);
    const staleAfter = staleAfterText === 'never' ? null : staleAfterText;
    const tagPattern = values['tag-pattern'];
    if (tagPattern === '') throw new UsageError('--tag-pattern is empty', HELP);
    const targetTags = values['target-tag'];
    if (targetTags?.some((tag) => tag === '')) throw new UsageError('--target-tag is empty', HELP);
    const config: RepositoryConfigInput = {
      requiredPlatforms,
      ...(values.optional === undefined ? {} : { optionalPlatforms: splitList(values.optional, '--optional', HELP) }),
      ...(tagPattern === undefined ? {} : { tagPattern }),
      ...(targetTags === undefined ? {} : { targetTags }),
      ...(indexMediaType === undefined ? {} : { indexMediaType }),
      ...(values['platform-override'] === undefined ? {} : { platformOverrides: parseOverrides(values['platform-override'], HELP) }),
      ...(staleAfter === undefined ? {} : { staleAfter }),
      ...(onStale === undefined ? {} : { onStale }),
      ...(onDrift === undefined ? {} : { onDrift }),
      ...(values.annotation === undefined ? {} : { annotations: parseAnnotations(values.annotation, HELP) }),
      ...(tagMutability === undefined ? {} : { tagMutability }),
    };
    return { repository, config };
  },
  run: async ({ repository, config }, { client, output }) => {
    const stored = await (await client()).putConfig(repository, config);
    output.out(`Saved the config of ${repository}:`);
    output.out(JSON.stringify(stored, null, 2));
  },
});
