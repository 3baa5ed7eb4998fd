import type { RepositoryConfigInput } from '../../core/repository-config.ts';
import type { ApiClient } from '../api-client.ts';
import type { Output } from '../output.ts';

/** `config set`: replaces the repository's config and prints what the API stored (normalised). */
export async function runConfigSet(client: ApiClient, repository: string, config: RepositoryConfigInput, output: Output): Promise<void> {
  const stored = await client.putConfig(repository, config);
  output.out(`Saved the config of ${repository}:`);
  output.out(JSON.stringify(stored, null, 2));
}

/** `config get`: the config as JSON, so that it can be piped. */
export async function runConfigGet(client: ApiClient, repository: string, output: Output): Promise<void> {
  output.out(JSON.stringify(await client.getConfig(repository), null, 2));
}

/** `config delete`: the version records stay, and the message says so. */
export async function runConfigDelete(client: ApiClient, repository: string, output: Output): Promise<void> {
  await client.deleteConfig(repository);
  output.out(`Deleted the config of ${repository}; pushes to it are ignored from now on (its version records stay).`);
}
