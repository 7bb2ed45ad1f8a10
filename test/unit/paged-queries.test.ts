import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../lib/notification/cursor.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import { listNotificationsSchema } from '../../lib/notification/schemas.js';
import { historyQuerySchema } from '../../lib/order/schemas.js';
import { paymentListQuerySchema } from '../../lib/payment/operator-schemas.js';
import {
  DynamoPaymentList,
  decodeListCursor,
  encodeListCursor,
  LISTED_STATUSES,
} from '../../lib/payment/payment-list.js';
import { isAppError } from '../../lib/shared/errors.js';
import { json } from '../../lib/shared/http.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

// Every value a paged route reads from its query, however hostile, is a 400
// VALIDATION_FAILED naming that field: never a 5xx (which anyone could use
// to feed the 5xx alarm), and never a key DynamoDB is left to refuse.

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const AT = '2026-12-01T10:00:00.000Z';

/** The error `run` throws or rejects with. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Asserts a 400 VALIDATION_FAILED whose details name `field`. */
function expectFieldError(error: unknown, field: string, what = '') {
  expect(isAppError(error), `${what}: ${String(error)}`).toBe(true);
  if (!isAppError(error)) return;
  expect({ status: error.status, code: error.code }, what).toEqual({
    status: 400,
    code: 'VALIDATION_FAILED',
  });
  expect(
    error.details.map((d) => d.field),
    what,
  ).toContain(field);
}

/** A DynamoDB client whose every request fails with `error`. */
function failingDoc(error: Error): DynamoDBDocumentClient {
  return { send: async () => Promise.reject(error) } as unknown as DynamoDBDocumentClient;
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

describe('Schema: historyQuerySchema (GET /orders/{orderId}/history)', () => {
  it('accepts a cursor up to the largest safe seq', () => {
    expect(parseInput(historyQuerySchema, { cursor: 's1', limit: '100' }, 'query')).toEqual({
      cursor: 1,
      limit: 100,
    });
    expect(parseInput(historyQuerySchema, { cursor: 's9007199254740991' }, 'query').cursor).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it.each([
    's9007199254740992',
    's9999999999999999',
    's99999999999999999',
    's0',
    's-1',
    's1e3',
    's1.5',
    'S1',
    '1',
    '',
  ])('refuses the cursor %j with a 400 naming cursor', async (cursor) => {
    expectFieldError(
      await failure(() => parseInput(historyQuerySchema, { cursor }, 'query')),
      'cursor',
      cursor,
    );
  });

  it.each(['0', '101', '1000', '-1', '1.5', 'ten', ''])(
    'refuses the limit %j with a 400 naming limit',
    async (limit) => {
      expectFieldError(
        await failure(() => parseInput(historyQuerySchema, { limit }, 'query')),
        'limit',
        limit,
      );
    },
  );
});

describe('Function: decodeCursor (GET /notifications)', () => {
  const key = { pk: 'USER#u-1', sk: `${AT}#n-1` };

  it('round-trips a cursor the list made', () => {
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['an empty sort key', { pk: 'USER#u-1', sk: '' }],
    ['a sort key of another shape', { pk: 'USER#u-1', sk: 'x' }],
    ['a sort key without a time', { pk: 'USER#u-1', sk: '#n-1' }],
    ['a lone surrogate in the sort key', { pk: 'USER#u-1', sk: `${AT}#\ud800` }],
    ['a partition key of another table shape', { pk: 'DEDUPE#abc', sk: key.sk }],
    ['an empty partition key', { pk: '', sk: key.sk }],
    ['a key of the payments table', { pk: 'PAYMENT#t-1', sk: 'PAYMENT' }],
    ['a JSON array', [key.pk, key.sk]],
    ['null', null],
  ])('refuses a cursor that decodes to %s with a 400 naming cursor', async (_what, value) => {
    expectFieldError(
      await failure(() => decodeCursor(b64(value))),
      'cursor',
      JSON.stringify(value),
    );
  });

  it.each([
    ['userId', { userId: '' }],
    ['limit', { userId: 'u-1', limit: '0' }],
    ['limit', { userId: 'u-1', limit: '1e2' }],
    ['cursor', { userId: 'u-1', cursor: 'x'.repeat(1025) }],
  ])('refuses a bad %s in the query with a 400 naming it', async (field, query) => {
    expectFieldError(
      await failure(() => parseInput(listNotificationsSchema, query, 'query')),
      field,
    );
  });
});

describe('Class: DynamoNotificationRepository, list', () => {
  const startKey = { pk: 'USER#u-1', sk: `${AT}#n-1` };

  it('answers a start key that DynamoDB refuses with a 400 naming cursor, not a 503', async () => {
    const repository = new DynamoNotificationRepository({
      doc: failingDoc(awsError('ValidationException', 'The provided starting key is invalid')),
      table: 'notifications',
    });
    expectFieldError(await failure(() => repository.list('u-1', 10, startKey)), 'cursor');
  });

  it("refuses another user's cursor before asking DynamoDB", async () => {
    const repository = new DynamoNotificationRepository({
      doc: failingDoc(new Error('must not be asked')),
      table: 'notifications',
    });
    expectFieldError(await failure(() => repository.list('u-2', 10, startKey)), 'cursor');
  });

  it('still answers an outage with a 503, cursor or not', async () => {
    const repository = new DynamoNotificationRepository({
      doc: failingDoc(awsError('ThrottlingException', 'slow down')),
      table: 'notifications',
    });
    for (const key of [startKey, undefined]) {
      const error = await failure(() => repository.list('u-1', 10, key));
      expect(isAppError(error) && error.status).toBe(503);
    }
  });
});

describe('Schema: paymentListQuerySchema (GET /payments, operator)', () => {
  it.each([
    ['status', { status: 'succeeded' }],
    ['status', { status: 'PENDING' }],
    ['status', { status: 'SUCCEEDED,FAILED' }],
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: '01' }],
    ['limit', { limit: '9007199254740993' }],
  ])('refuses a bad %s with a 400 naming it', async (field, query) => {
    expectFieldError(
      await failure(() => parseInput(paymentListQuerySchema, query, 'query')),
      field,
      JSON.stringify(query),
    );
  });
});

describe('Function: decodeListCursor (GET /payments, operator)', () => {
  const final = (status: string, id = 't-1') => ({
    pk: `PAYMENT#${id}`,
    sk: 'PAYMENT',
    status,
    createdAt: AT,
  });
  const inFlight = { transactionId: 't-2', unfinalized: 'Y', createdAt: AT };

  it('round-trips a cursor the list made, one position per status', () => {
    const cursor = { SUCCEEDED: final('SUCCEEDED'), FAILED: null, PROCESSING: inFlight };
    expect(decodeListCursor(encodeListCursor(cursor), LISTED_STATUSES)).toEqual(cursor);
  });

  it.each([
    ['an empty key', { SUCCEEDED: {} }],
    ['a key of the in-flight index on a status index', { SUCCEEDED: inFlight }],
    ['a key of a status index on the in-flight index', { PROCESSING: final('SUCCEEDED') }],
    ['a key of another status', { SUCCEEDED: final('FAILED') }],
    ['an outbox event key', { FAILED: { ...final('FAILED'), sk: 'EVENT#e-1' } }],
    ['an extra attribute', { SUCCEEDED: { ...final('SUCCEEDED'), admin: 'yes' } }],
    [
      'a missing attribute',
      { SUCCEEDED: { pk: 'PAYMENT#t-1', sk: 'PAYMENT', status: 'SUCCEEDED' } },
    ],
    ['a partition key of another table', { SUCCEEDED: { ...final('SUCCEEDED'), pk: 'USER#u-1' } }],
    ['an empty partition key', { SUCCEEDED: { ...final('SUCCEEDED'), pk: '' } }],
    ['a createdAt that is no time', { SUCCEEDED: { ...final('SUCCEEDED'), createdAt: '' } }],
    ['a number for a string', { SUCCEEDED: { ...final('SUCCEEDED'), createdAt: 1 } }],
    ['another marker', { PROCESSING: { ...inFlight, unfinalized: 'N' } }],
    ['an id with a lone surrogate', { PROCESSING: { ...inFlight, transactionId: 't-\ud800' } }],
    ['an unknown status', { PENDING: null }],
    ['a list', [final('SUCCEEDED')]],
  ])('refuses %s with a 400 naming cursor', async (what, value) => {
    expectFieldError(
      await failure(() => decodeListCursor(b64(value), LISTED_STATUSES)),
      'cursor',
      what,
    );
  });

  it('refuses a status the filtered list does not read', async () => {
    expectFieldError(
      await failure(() => decodeListCursor(b64({ FAILED: null }), ['SUCCEEDED'])),
      'cursor',
    );
  });
});

describe('Class: DynamoPaymentList, a start key DynamoDB refuses', () => {
  const refused = awsError('ValidationException', 'The provided starting key is invalid');
  const cursor = encodeListCursor({
    SUCCEEDED: { pk: 'PAYMENT#t-1', sk: 'PAYMENT', status: 'SUCCEEDED', createdAt: AT },
  });

  it('is a 400 naming cursor when the key came from the cursor', async () => {
    const list = new DynamoPaymentList(failingDoc(refused), 'payments', 'charges');
    expectFieldError(
      await failure(() => list.list({ status: 'SUCCEEDED', limit: 5, cursor })),
      'cursor',
    );
  });

  it('stays our own error (not blamed on the client) without a cursor', async () => {
    const list = new DynamoPaymentList(failingDoc(refused), 'payments', 'charges');
    expect(await failure(() => list.list({ status: 'SUCCEEDED', limit: 5 }))).toBe(refused);
  });
});

describe('Middleware: requestGuard, the length of a cursor', () => {
  const logger = createLogger('payment');
  const route = httpHandler({ logger }, async () => json(200, { ok: true }));
  const call = async (query: Record<string, string>) =>
    (await route(httpEvent({ queryStringParameters: query }), fakeContext())) as {
      statusCode: number;
      body: string;
    };

  it('lets a cursor of a three-status page through (it is longer than other values)', async () => {
    const cursor = encodeListCursor({
      SUCCEEDED: {
        pk: `PAYMENT#${'t'.repeat(128)}`,
        sk: 'PAYMENT',
        status: 'SUCCEEDED',
        createdAt: AT,
      },
      FAILED: { pk: `PAYMENT#${'f'.repeat(128)}`, sk: 'PAYMENT', status: 'FAILED', createdAt: AT },
      PROCESSING: { transactionId: 'p'.repeat(128), unfinalized: 'Y', createdAt: AT },
    });
    expect(cursor.length).toBeGreaterThan(256);
    expect((await call({ cursor })).statusCode).toBe(200);
  });

  it('refuses a cursor over 2048 characters, and any other value over 256', async () => {
    const queries: Record<string, string>[] = [
      { cursor: 'c'.repeat(2049) },
      { status: 's'.repeat(257) },
    ];
    for (const query of queries) {
      const answer = await call(query);
      expect(answer.statusCode).toBe(400);
      expect(JSON.parse(answer.body).error.code).toBe('INVALID_QUERY_PARAMETER');
    }
  });
});
