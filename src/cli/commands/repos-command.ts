import { expectPositionals, type Options } from '../arg-values.ts';
import { formatRepositoryTable } from '../format/format-repositories.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } as const satisfies Options;

const HELP = `Usage: manifest-assembler repos [--json]

Lists the configured repositories and their platforms.

Options:
  --json   print the API's answer as JSON

${CONNECTION_HELP}`;

/** `repos`: the configured repositories, as a table or as the API's JSON. */
export const reposCommand = defineCommand({
  words: ['repos'],
  summary: [['repos', 'list the configured repositories']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals) => {
    expectPositionals(positionals, 1, HELP);
    return { json: values.json === true };
  },
  run: async ({ json }, { client, output }) => {
    const list = await (await client()).listRepositories();
    output.out(json ? JSON.stringify(list, null, 2) : formatRepositoryTable(list));
  },
});
