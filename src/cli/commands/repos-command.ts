import type { ApiClient } from '../api-client.ts';
import { formatRepositoryTable } from '../format-repositories.ts';
import type { Output } from '../output.ts';

/** `repos`: the configured repositories, as a table or as the API's JSON. */
export async function runRepos(client: ApiClient, json: boolean, output: Output): Promise<void> {
  const list = await client.listRepositories();
  output.out(json ? JSON.stringify(list, null, 2) : formatRepositoryTable(list));
}
