import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../lib/notification/cursor.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import { listNotificationsSchema } from '../../lib/notification/schemas.js';
import { historyQuerySchema } from '../../lib/order/schemas.js';
import {
  DynamoPaymentList,
  decodeListCursor,
  encodeListCursor,
  rowDigest,
} from '../../lib/payment/operator/payment-list.js';
import { paymentListQuerySchema } from '../../lib/payment/operator/schemas.js';
import { isAppError, isStoreUnavailable } from '../../lib/shared/errors.js';
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
  const seen = [rowDigest('SUCCEEDED', 't-1'), rowDigest('PROCESSING', 't-2')];

  it('round-trips a cursor the list made: one position (a time and the ties listed at it)', () => {
    const cursor = { at: AT, seen };
    expect(decodeListCursor(encodeListCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['an empty object', {}],
    ['a cursor of the list before sharding', { SUCCEEDED: null }],
    ['no ties', { at: AT, seen: [] }],
    ['an extra attribute', { at: AT, seen, admin: 'yes' }],
    ['a missing time', { seen }],
    ['a time that is no time', { at: '', seen }],
    ['a number for a time', { at: 1, seen }],
    ['a tie that is no digest', { at: AT, seen: ['t-1'] }],
    ['a tie that is a number', { at: AT, seen: [1] }],
    ['ties that are no list', { at: AT, seen: 'abc' }],
    ['a list', [{ at: AT, seen }]],
  ])('refuses %s with a 400 naming cursor', async (what, value) => {
    expectFieldError(await failure(() => decodeListCursor(b64(value))), 'cursor', what);
  });
});

describe('Class: DynamoPaymentList, a shard that cannot be read', () => {
  const throttled = awsError('ThrottlingException', 'Throughput exceeds the current capacity');

  it('fails the page with the store error (503 STORE_UNAVAILABLE at the edge), with or without a cursor', async () => {
    const list = new DynamoPaymentList(failingDoc(throttled), 'payments', 'charges');
    const cursor = encodeListCursor({ at: AT, seen: [rowDigest('SUCCEEDED', 't-1')] });
    expect(await failure(() => list.list({ status: 'SUCCEEDED', limit: 5 }))).toBe(throttled);
    expect(await failure(() => list.list({ limit: 5, cursor }))).toBe(throttled);
    expect(isStoreUnavailable(throttled)).toBe(true);
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

  it('lets a cursor of a page of 100 ties through (it is longer than other values)', async () => {
    // 100 payments listed in one millisecond: the longest cursor a page of 100 makes.
    const cursor = encodeListCursor({
      at: AT,
      seen: Array.from({ length: 100 }, (_, i) => rowDigest('SUCCEEDED', `t-${i}`)),
    });
    expect(cursor.length).toBeGreaterThan(256);
    expect(cursor.length).toBeLessThanOrEqual(2048);
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
