import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../lib/shared/errors.js';
import { json } from '../../lib/shared/http.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { expectErrorFormat } from '../support/http.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

/** What the SDK throws when DynamoDB cannot be reached (a port nothing listens on). */
async function unreachableStoreError(): Promise<unknown> {
  const client = new DynamoDBClient({
    endpoint: 'http://127.0.0.1:1',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  try {
    await DynamoDBDocumentClient.from(client).send(
      new GetCommand({ TableName: 't', Key: { id: '1' } }),
    );
    throw new Error('expected the call to fail');
  } catch (error) {
    return error;
  } finally {
    client.destroy();
  }
}

describe('Function: isStoreUnavailable', () => {
  it('recognises an unreachable DynamoDB, also when wrapped as a cause', async () => {
    const error = await unreachableStoreError();
    expect(isStoreUnavailable(error)).toBe(true);
    expect(isStoreUnavailable(new Error('persistence failed', { cause: error }))).toBe(true);
  });

  it('recognises throttling, and not a bug', () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    expect(isStoreUnavailable(throttled)).toBe(true);
    expect(isStoreUnavailable(new TypeError('undefined is not a function'))).toBe(false);
  });
});

describe('Middleware: errorHandler on a store outage', () => {
  it('answers 503 with Retry-After in the error format, never a 500 or a stack', async () => {
    const cause = await unreachableStoreError();
    const handler = httpHandler({ logger: createLogger('payment') }, async () => {
      if (cause) throw cause;
      return json(200, {});
    });
    const response = (await handler(httpEvent({}), fakeContext())) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['Retry-After'] ?? response.headers['retry-after'])).toBe(1);
    expect(expectErrorFormat(JSON.parse(response.body)).code).toBe('STORE_UNAVAILABLE');
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at /);
  });
});
