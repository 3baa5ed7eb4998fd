import { repositoryArgument } from '../arg-values.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const HELP = `Usage: manifest-assembler config get <repository>

Prints the repository's config as JSON.

${CONNECTION_HELP}`;

/** `config get <repository>`: the config as JSON, so that it can be piped. */
export const configGetCommand = defineCommand({
  words: ['config', 'get'],
  summary: [['config get <repository>', "print a repository's config"]],
  options: CONNECTION_OPTIONS,
  help: HELP,
  parse: (_values, positionals) => ({ repository: repositoryArgument(positionals, 2, HELP) }),
  run: async ({ repository }, { client, output }) => {
    output.out(JSON.stringify(await (await client()).getConfig(repository), null, 2));
  },
});
