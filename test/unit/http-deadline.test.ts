import { describe, expect, it } from 'vitest';
import { deadlineFromContext } from '../../lib/http/client.js';
import { json } from '../../lib/shared/http.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { expectErrorFormat } from '../support/http.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

const logger = createLogger('order');

describe('Middleware: deadline (in httpHandler)', () => {
  let calls = 0;
  const handler = httpHandler({ logger, body: true }, async () => {
    calls += 1;
    return json(200, { ok: true });
  });
  // An internal route: the authorizer verified the calling service.
  const call = (
    headers: Record<string, string>,
    authorizer: Record<string, unknown> | null = { caller: 'payment' },
  ) =>
    handler(
      httpEvent({ method: 'POST', body: {}, headers, authorizer: authorizer ?? undefined }),
      fakeContext(),
    ) as Promise<{
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    }>;

  it('refuses with 503 and Retry-After, before any work, when the caller deadline has passed', async () => {
    const before = calls;
    const response = await call({
      'x-request-deadline': String(Date.now() - 1),
      'x-correlation-id': 'corr-deadline-1',
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({
      'retry-after': '1',
      'x-correlation-id': 'corr-deadline-1',
    });
    expect(JSON.parse(response.body).error.code).toBe('DEADLINE_EXCEEDED');
    expectErrorFormat(JSON.parse(response.body));
    expect(calls).toBe(before);
  });

  it('ignores a client-supplied deadline on a public route, and never shows the server clock', async () => {
    const before = calls;
    const response = await call({ 'x-request-deadline': String(Date.now() - 1) }, null);
    expect(response.statusCode).toBe(200);
    expect(calls).toBe(before + 1);
    const refused = await call({ 'x-request-deadline': String(Date.now() - 1) });
    expect(refused.body).not.toMatch(/remainingMs|\d{13}/);
  });

  it('refuses when less than the margin is left', async () => {
    const response = await call({ 'x-request-deadline': String(Date.now() + 20) });
    expect(response.statusCode).toBe(503);
  });

  it.each([
    ['a deadline in the future', { 'x-request-deadline': String(Date.now() + 60_000) }],
    ['no deadline', {}],
    ['an unreadable deadline', { 'x-request-deadline': 'tomorrow' }],
  ])('does the work with %s', async (_name, headers) => {
    const before = calls;
    const response = await call(headers);
    expect(response.statusCode).toBe(200);
    expect(calls).toBe(before + 1);
  });
});

describe('Function: deadlineFromContext', () => {
  it('is the remaining time minus the safety margin', () => {
    const context = { getRemainingTimeInMillis: () => 5000 };
    expect(deadlineFromContext(context, 1000, 1_000_000)).toBe(1_004_000);
  });

  it('never lies in the past of now', () => {
    const context = { getRemainingTimeInMillis: () => 200 };
    expect(deadlineFromContext(context, 1000, 1_000_000)).toBe(1_000_000);
  });
});
