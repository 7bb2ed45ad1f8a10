import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Every DynamoDB command `client` sends while `run` runs, in order, by the
 * name of the request that goes on the wire (`PutItemCommand`,
 * `TransactWriteItemsCommand`...). The document client shares its middleware
 * stack with the low-level client it wraps, so both are counted.
 */
export async function commandsOf(
  client: Pick<DynamoDBDocumentClient, 'middlewareStack'>,
  run: () => Promise<unknown>,
): Promise<string[]> {
  const commands: string[] = [];
  const name = `count-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    client.middlewareStack.remove(name);
  }
  return commands;
}
