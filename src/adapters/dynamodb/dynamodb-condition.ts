import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

// A file of its own (dynamodb-partition.ts re-exports it): the store's push half needs only this,
// and what imports the partition helpers loads with the on-demand half (docs/performance.md).

/** A failed `ConditionExpression`. By name too: a second copy of the SDK in a bundle would make `instanceof` miss it. */
export function isConditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
  );
}
