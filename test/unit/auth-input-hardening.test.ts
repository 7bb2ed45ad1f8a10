import { describe, expect, it } from 'vitest';
import { json } from '../../lib/shared/http.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

const logger = createLogger('order');

// The request guard that httpHandler puts in front of every route: what a
// route receives besides its body is checked before any work is done.
describe('Middleware: requestGuard (through httpHandler)', () => {
  let reached = 0;
  const getRoute = httpHandler({ logger }, async () => {
    reached += 1;
    return json(200, { ok: true });
  });
  const postRoute = httpHandler({ logger, body: true }, async () => {
    reached += 1;
    return json(200, { ok: true });
  });

  type Response = { statusCode: number; body: string; headers: Record<string, string> };
  const call = async (handler: typeof getRoute, event: Parameters<typeof httpEvent>[0]) =>
    (await handler(httpEvent(event), fakeContext())) as Response;

  it('lets a well-formed request through', async () => {
    const before = reached;
    const response = await call(getRoute, {
      pathParameters: { orderId: 'o-1:A_b.c' },
      queryStringParameters: { userId: 'u-1', page: 'anything goes' },
    });
    expect(response.statusCode).toBe(200);
    expect(reached).toBe(before + 1);
  });

  it.each([
    [
      'a path id with a space',
      { pathParameters: { orderId: 'o 1' } },
      400,
      'INVALID_PATH_PARAMETER',
    ],
    [
      'a path id of 129 characters',
      { pathParameters: { orderId: 'a'.repeat(129) } },
      400,
      'INVALID_PATH_PARAMETER',
    ],
    [
      'a path id with unicode',
      { pathParameters: { transactionId: 'tx-é' } },
      400,
      'INVALID_PATH_PARAMETER',
    ],
    ['an empty path id', { pathParameters: { orderId: '' } }, 400, 'INVALID_PATH_PARAMETER'],
    [
      'a query userId with a quote',
      { queryStringParameters: { userId: "u'1" } },
      400,
      'INVALID_QUERY_PARAMETER',
    ],
    [
      'a repeated query userId (joined with a comma)',
      { queryStringParameters: { userId: 'u-1,u-2' } },
      400,
      'INVALID_QUERY_PARAMETER',
    ],
    [
      'an oversized query value',
      { queryStringParameters: { note: 'x'.repeat(257) } },
      400,
      'INVALID_QUERY_PARAMETER',
    ],
    [
      'a query name with brackets',
      { queryStringParameters: { 'a[__proto__]': '1' } },
      400,
      'INVALID_QUERY_PARAMETER',
    ],
    [
      'a body on a GET route',
      { rawBody: '{"a":1}', headers: { 'content-type': 'application/json' } },
      400,
      'UNEXPECTED_BODY',
    ],
    ['headers over 8 KiB', { headers: { 'x-pad': 'p'.repeat(9000) } }, 431, 'HEADERS_TOO_LARGE'],
    [
      "offline's authorizer-override header",
      { headers: { 'sls-offline-authorizer-override': '{"lambda":{"caller":"payment"}}' } },
      400,
      'FORBIDDEN_HEADER',
    ],
  ])('refuses %s with %i %s before the route runs', async (_name, event, status, code) => {
    const before = reached;
    const response = await call(getRoute, event);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({
      error: { code, message: expect.any(String), details: expect.any(Array) },
    });
    expect(response.headers['x-correlation-id']).toBeTruthy();
    expect(reached).toBe(before);
  });

  it('names every bad path parameter', async () => {
    const response = await call(getRoute, { pathParameters: { orderId: 'o 1', userId: '<u>' } });
    expect(JSON.parse(response.body).error.details.map((d: { field: string }) => d.field)).toEqual([
      'orderId',
      'userId',
    ]);
  });

  it('checks the path before parsing the body of a POST route', async () => {
    const response = await call(postRoute, {
      method: 'PUT',
      pathParameters: { orderId: '../etc' },
      body: { status: 'PAID' },
    });
    expect(JSON.parse(response.body).error.code).toBe('INVALID_PATH_PARAMETER');
  });
});
