/** The help text of the command line and of each command (printed by `--help`, and after a usage error). */

import { WAIT_HELP } from './commands/wait-command.ts';

const CONNECTION = `Connection options (every command but start):
  --api <url>      the API (default: $MANIFEST_ASSEMBLER_API, else http://127.0.0.1:8080)
  --token <token>  bearer token for the local API (default: the api-token file in $DATA_DIR, else .local)
  --sigv4          sign requests with AWS SigV4 (automatic for *.execute-api.<region>.amazonaws.com)
  --region <name>  region to sign for (default: from the API's host name, else $AWS_REGION)`;

// Reconcile and backfill report per-item failures inside a successful answer; the exit status is the request's.
const REPORT_EXIT_STATUS = `Exit status: 0 when every request succeeded, even if a report lists failures: they are printed,
and the next run (or the scheduled reconcile) tries them again; in a script, look at "failures" in
the --json output. 1 when a request fails, 2 for bad usage.`;

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
  publish <repository>:<version>          publish a version now (or re-apply the current config to it)
  reconcile [<repository>]                repair what missed events left behind, and find moved tags
  backfill <repository> [--dry-run]       publish the versions already in the registry
           [--republish]                  (or re-apply the current config to every published version)
  wait <repository>:<version>             wait until a version is published (for CI; exit 3 on --timeout)
  dashboard [--port <n>]                  open the live dashboard of an API (signs for a deployed one)

Run 'manifest-assembler <command> --help' for a command's options.

${CONNECTION}

Exit status: 0 done, 1 the request failed, 2 bad usage (wait: 3 timed out).`,

  start: `Usage: manifest-assembler start

Starts the local stack: the registry on 127.0.0.1:5000, DynamoDB (dynalite) and the API with the
registry webhook on 127.0.0.1:8080, and stops all of it on Ctrl-C. Environment: REGISTRY_PORT,
API_PORT, DATA_DIR (default .local), REGISTRY_URL, RECONCILE_INTERVAL, and NOTIFY_URL (comma-separated
URLs that receive a signed CloudEvent for each published, stale, conflicting or failed version).`,

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

  status: `Usage: manifest-assembler status <repository>[:<version>] [--json] [--history] [--state <state>] [--limit <n>]

With a version: everything known about it. Without: a table with one row per version and one column
per platform (a short image digest, or - when missing), the state and the published index.
Stale, failed and conflict versions are flagged with ! and explained under the table.

Options:
  --json            print the API's answer as JSON
  --history         with a version: what happened to it, oldest first (pushes, publishes, conflicts,
                    drift, repairs; the last 100 entries)
  --state <state>   only versions in this state: waiting, stale, publishing, published, failed or conflict
  --limit <n>       show at most n versions

${CONNECTION}`,

  reconcile: `Usage: manifest-assembler reconcile [<repository>] [--json]

Repairs what missed events left behind, as the scheduled reconcile does: records per-arch tags whose
push was never recorded, publishes versions that are complete but not published (or stale ones,
partially, where the config says onStale: publish-partial), and checks that published tags still
point at their index. A tag moved by someone else is drift: reported (the version is marked
conflict) or restored (pointed at the index again), as the config's onDrift says.

With a repository: runs page after page until the whole repository is covered, and prints a summary
of each page. Without: one pass over every configured repository, as far as the API's time allows
(the next pass resumes where this one stopped).

Options:
  --json   print the API's reports as JSON: {"reports": [...]}

${REPORT_EXIT_STATUS}

${CONNECTION}`,

  backfill: `Usage: manifest-assembler backfill <repository> [--republish] [--dry-run] [--json]

Assembles the versions whose per-arch images are already in the registry (pushed before the
repository was configured, say): reads every per-arch tag, records the images, and publishes each
version that has every required platform.

With --republish: re-applies the repository's current config to every version recorded. Each
index is rebuilt from the current config and the images its per-arch tags point at now, and put
only where it differs from the published one (a platform removed or added, other target tags, another
index media type). A version published partially stays partial; one missing a newly required
platform is left as published and listed.

Options:
  --republish re-apply the current config to the versions already recorded (see above)
  --dry-run   write nothing: list each version found, its platforms, the required platforms it
              misses, and what a backfill would do (publish, wait, or conflict); with --republish,
              each version whose index would change: old → new digest, platforms added and removed
  --json      print the API's answer as JSON (the plan; or {"reports": [...]})

${REPORT_EXIT_STATUS}

${CONNECTION}`,

  dashboard: `Usage: manifest-assembler dashboard [--port <n>]

Serves the dashboard (versions × platforms, live) on http://127.0.0.1:<n>/ (default 8090) and
relays the page's read-only API calls to --api, signed with SigV4 from the standard AWS credential
chain for a deployed API: no credential reaches the browser. Prints a token that the page asks for
once. Runs until Ctrl-C. The local stack serves the same page itself at http://127.0.0.1:8080/.

Options:
  --port <n>   the local port (0: any free port)

${CONNECTION}`,

  publish: `Usage: manifest-assembler publish <repository>:<version> [--allow-partial]

Publishes the version now. Without --allow-partial, a version that still misses a required platform
is refused. A version published already gets the current config re-applied: its index is rebuilt
from the current config and the images its per-arch tags point at now, and put only if it differs.

Options:
  --allow-partial   publish with the platforms that are there

${CONNECTION}`,

  wait: `${WAIT_HELP}

${CONNECTION}`,
} as const;

export type UsageName = keyof typeof Usages;
