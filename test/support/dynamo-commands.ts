import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One DynamoDB request: its name on the wire and the input it was sent with. */
export interface SentRequest {
  command: string;
  input: Record<string, unknown>;
}

/**
 * Every DynamoDB request `client` sends while `run` runs, in order: the name
 * of the request that goes on the wire (`PutItemCommand`,
 * `TransactWriteItemsCommand`...) and its input. The document client shares
 * its middleware stack with the low-level client it wraps, so both are seen.
 */
export async function requestsOf(
  client: Pick<DynamoDBDocumentClient, 'middlewareStack'>,
  run: () => Promise<unknown>,
): Promise<SentRequest[]> {
  const requests: SentRequest[] = [];
  const name = `count-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push({
        command: String(context.commandName),
        input: args.input as Record<string, unknown>,
      });
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    client.middlewareStack.remove(name);
  }
  return requests;
}

/** The names of the DynamoDB requests `client` sends while `run` runs, in order ({@link requestsOf}). */
export async function commandsOf(
  client: Pick<DynamoDBDocumentClient, 'middlewareStack'>,
  run: () => Promise<unknown>,
): Promise<string[]> {
  return (await requestsOf(client, run)).map((request) => request.command);
}
