import { repositoryArgument } from '../arg-values.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const HELP = `Usage: manifest-assembler config delete <repository>

Removes the repository's config; pushes to it are ignored afterwards. Its version records stay.

${CONNECTION_HELP}`;

/** `config delete <repository>`: the version records stay, and the message says so. */
export const configDeleteCommand = defineCommand({
  words: ['config', 'delete'],
  summary: [['config delete <repository>', "remove a repository's config (its version records stay)"]],
  options: CONNECTION_OPTIONS,
  help: HELP,
  parse: (_values, positionals) => ({ repository: repositoryArgument(positionals, 2, HELP) }),
  run: async ({ repository }, { client, output }) => {
    await (await client()).deleteConfig(repository);
    output.out(`Deleted the config of ${repository}; pushes to it are ignored from now on (its version records stay).`);
  },
});
