import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** One entry of a DynamoDB transaction, in the document client's form. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Options for {@link createDynamoClients}. */
export interface DynamoOptions {
  /** Any DynamoDB endpoint (DynamoDB Local, LocalStack...); empty means AWS. */
  endpoint?: string;
  region?: string;
}

/**
 * The low-level and document clients, pointed at `endpoint` when one is given
 * (then with dummy credentials, which DynamoDB Local accepts).
 */
export function createDynamoClients(options: DynamoOptions = {}): {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const config: DynamoDBClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'eu-west-1',
    maxAttempts: 3,
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  const client = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, doc };
}

/** Clients configured from the environment (DYNAMODB_ENDPOINT, AWS_REGION), read once. */
export function dynamoFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return createDynamoClients({
    endpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION,
  });
}

/** True when `error` is DynamoDB's failed-condition error (direct or inside a transaction). */
export function isConditionalCheckFailed(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ConditionalCheckFailedException';
}

/** True when a transaction was cancelled (conditional failure or conflict inside it). */
export function isTransactionCanceled(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'TransactionCanceledException';
}

/**
 * True when DynamoDB refused a request as malformed (`ValidationException`).
 * For a query that starts from a client's cursor, what it refused is that
 * key: the caller's mistake, not an outage.
 */
export function isValidationException(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ValidationException';
}
