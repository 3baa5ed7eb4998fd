/** The help text of the command line and of each command (printed by `--help`, and after a usage error). */

const CONNECTION = `Connection options (every command but start):
  --api <url>      the API (default: $MANIFEST_ASSEMBLER_API, else http://127.0.0.1:8080)
  --token <token>  bearer token for the local API (default: the api-token file in $DATA_DIR, else .local)
  --sigv4          sign requests with AWS SigV4 (automatic for *.execute-api.<region>.amazonaws.com)
  --region <name>  region to sign for (default: from the API's host name, else $AWS_REGION)`;

export const Usages = {
  main: `Usage: manifest-assembler <command> [options]

Publishes multi-architecture image indexes as soon as every per-arch image of a version is pushed.

Commands:
  start                                   run the local stack (registry, DynamoDB, API) until Ctrl-C
  config set <repository> --require ...   set which platforms a repository needs, and how tags read
  config get <repository>                 print a repository's config
  config delete <repository>              remove a repository's config (its version records stay)
  repos                                   list the configured repositories
  status <repository>[:<version>]         show one version, or every version of a repository
  publish <repository>:<version>          publish a version now

Run 'manifest-assembler <command> --help' for a command's options.

${CONNECTION}

Exit status: 0 done, 1 the request failed, 2 bad usage.`,

  start: `Usage: manifest-assembler start

Starts the local stack: the registry on 127.0.0.1:5000, DynamoDB (dynalite) and the API with the
registry webhook on 127.0.0.1:8080, and stops all of it on Ctrl-C. Environment: REGISTRY_PORT,
API_PORT, DATA_DIR (default .local), REGISTRY_URL.`,

  config: `Usage: manifest-assembler config <set|get|delete> <repository> [options]

  config set <repository> --require <platforms> [options]
  config get <repository>
  config delete <repository>

Run 'manifest-assembler config set --help' for the options of set.`,

  configSet: `Usage: manifest-assembler config set <repository> --require <platform,...> [options]

Replaces the repository's config; options left out take their defaults.

Options:
  --require <platform,...>         platforms every version needs before it is published (required; repeatable)
  --optional <platform,...>        platforms included when present (repeatable)
  --tag-pattern <regex>            how a per-arch tag reads, with a (?<version>...) group
                                   (default: ^(?<version>.+)-(?<platform>[^-]+)$)
  --target-tag <template>          tag that receives the index, with {version} (repeatable; default: {version})
  --index-media-type <choice>      auto (default), oci or docker
  --platform-override <value=platform>
                                   use this platform for images whose tag's platform group is value,
                                   e.g. arm64=linux/arm64/v8 (repeatable)
  --stale-after <duration>         a version still missing platforms this long after its first push
                                   is stale: 30m, 6h, 2d, or never (the default)
  --on-stale <choice>              wait (default), or publish-partial: publish what a stale version has
  --on-drift <choice>              when someone else moves a published tag: report (default) or restore

Platforms are os[(os.version)]/architecture[/variant], e.g. linux/amd64,linux/arm64,windows(10.0.20348)/amd64.

${CONNECTION}`,

  configGet: `Usage: manifest-assembler config get <repository>

Prints the repository's config as JSON.

${CONNECTION}`,

  configDelete: `Usage: manifest-assembler config delete <repository>

Removes the repository's config; pushes to it are ignored afterwards. Its version records stay.

${CONNECTION}`,

  repos: `Usage: manifest-assembler repos [--json]

Lists the configured repositories and their platforms.

Options:
  --json   print the API's answer as JSON

${CONNECTION}`,

  status: `Usage: manifest-assembler status <repository>[:<version>] [--json] [--state <state>] [--limit <n>]

With a version: everything known about it. Without: a table with one row per version and one column
per platform (a short image digest, or - when missing), the state and the published index.
Stale, failed and conflict versions are flagged with ! and explained under the table.

Options:
  --json            print the API's answer as JSON
  --state <state>   only versions in this state: waiting, stale, publishing, published, failed or conflict
  --limit <n>       show at most n versions

${CONNECTION}`,

  publish: `Usage: manifest-assembler publish <repository>:<version> [--allow-partial]

Publishes the version now. Without --allow-partial, a version that still misses a required platform
is refused.

Options:
  --allow-partial   publish with the platforms that are there

${CONNECTION}`,
} as const;

export type UsageName = keyof typeof Usages;
