import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * The one table manifest-assembler keeps its state in, as data: configs and version records side by
 * side, every write a single-item conditional write (docs/reliability.md, "Invariants").
 * infra/ mirrors this in CloudFormation; `ensureTable` uses it for the local runner and the tests.
 *
 * Items (the layout lives in dynamodb-version-items.ts, and for the items only the methods loaded
 * on demand use, dynamodb-on-demand-items.ts):
 * - repository configs: `pk = REPOSITORIES`, `sk = <repository>`, so listing them is one Query;
 * - version records: `pk = REPO#<repository>`, `sk = VERSION#<version>`;
 * - tags manifest-assembler published: `pk = REPO#<repository>`, `sk = TAG#<tag>`;
 * - floating tag pointers (where `latest`, `2.7` point): `pk = REPO#<repository>`, `sk = FLOAT#<tag>`.
 *
 * No TTL and no index: nothing expires (dynalite has no TTL), and every read is by key or by key prefix.
 */
export const VERSION_TABLE_DEFINITION = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} satisfies Omit<CreateTableCommandInput, 'TableName'>;

export interface EnsureTableOptions {
  /** How long to wait for the table to become ACTIVE. */
  readonly timeoutMs?: number;
  /** Pause between two DescribeTable calls while it is being created. */
  readonly pollMs?: number;
}

/**
 * Creates the table when it does not exist and waits until it is ACTIVE. For the local runner and
 * tests; on AWS the table comes from the stack. An existing table is used as it is.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: EnsureTableOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, pollMs = 50 } = options;
  if ((await describeTableStatus(client, tableName)) === undefined) {
    try {
      await client.send(new CreateTableCommand({ TableName: tableName, ...VERSION_TABLE_DEFINITION }));
    } catch (error) {
      // Another process created it between our DescribeTable and CreateTable: wait for theirs.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await describeTableStatus(client, tableName);
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(`DynamoDB table ${tableName} is not ACTIVE after ${timeoutMs} ms (status: ${status ?? 'missing'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function describeTableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
