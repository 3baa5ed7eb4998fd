import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-error.ts';
import { CliError } from '../cli-error.ts';
import { formatVersionDetail, shortDigest } from '../format-status.ts';
import type { Output } from '../output.ts';

/** `publish`: asks the API to publish now and prints the version as it stands afterwards. */
export async function runPublish(client: ApiClient, repository: string, version: string, allowPartial: boolean, output: Output): Promise<void> {
  let status: Awaited<ReturnType<ApiClient['publish']>>;
  try {
    status = await client.publish(repository, version, allowPartial);
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
}
