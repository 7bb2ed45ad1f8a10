import { describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../lib/shared/errors.js';
import { json } from '../../lib/shared/http.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability, METRIC } from '../../lib/shared/observability.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

const logger = createLogger('order');

describe('Function: httpHandler', () => {
  const echo = httpHandler({ logger, body: { maxBytes: 256 } }, async (event) =>
    json(200, { body: event.jsonBody, correlationId: event.correlationId, caller: event.caller }),
  );

  it('parses a JSON body and returns the correlation id a verified caller gave', async () => {
    const response = await echo(
      httpEvent({
        method: 'POST',
        body: { a: 1 },
        headers: { 'x-correlation-id': 'corr-12345678' },
        authorizer: { caller: 'payment', jti: 'j-1' },
      }),
      fakeContext(),
    );
    expect(response).toMatchObject({
      statusCode: 200,
      headers: { 'x-correlation-id': 'corr-12345678' },
    });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ body: { a: 1 } });
  });

  it('passes the verified caller from the authorizer context', async () => {
    const response = await echo(
      httpEvent({ method: 'POST', body: {}, authorizer: { caller: 'payment', jti: 'j-1' } }),
      fakeContext(),
    );
    expect(JSON.parse((response as { body: string }).body).caller).toEqual({
      caller: 'payment',
      tokenId: 'j-1',
    });
  });

  it.each([
    [
      'a non-JSON content type',
      { rawBody: '{}', headers: { 'content-type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no content type', { rawBody: '{}' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over the limit', { body: { pad: 'x'.repeat(300) } }, 413, 'PAYLOAD_TOO_LARGE'],
    [
      'malformed JSON',
      { rawBody: '{"a":', headers: { 'content-type': 'application/json' } },
      400,
      'MALFORMED_JSON',
    ],
    [
      'an empty body',
      { rawBody: '', headers: { 'content-type': 'application/json' } },
      400,
      'EMPTY_BODY',
    ],
    ['a JSON array', { body: [1, 2] }, 400, 'BODY_NOT_OBJECT'],
    [
      'a __proto__ key',
      { rawBody: '{"__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } },
      400,
      'FORBIDDEN_FIELD',
    ],
    [
      'a nested constructor key',
      {
        rawBody: '{"a":{"constructor":{"prototype":{}}}}',
        headers: { 'content-type': 'application/json' },
      },
      400,
      'FORBIDDEN_FIELD',
    ],
  ])('refuses %s with %i %s', async (_name, request, status, code) => {
    const response = (await echo(httpEvent({ method: 'POST', ...request }), fakeContext())) as {
      statusCode: number;
      body: string;
      headers: Record<string, string>;
    };
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({
      error: { code, message: expect.any(String), details: expect.any(Array) },
    });
    expect(response.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('maps a known error to its status, code and headers', async () => {
    const handler = httpHandler({ logger }, async () => {
      throw new ConflictError('IN_PROGRESS', 'busy', { headers: { 'retry-after': '1' } });
    });
    const response = (await handler(httpEvent({}), fakeContext())) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(response.statusCode).toBe(409);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(response.body).error.code).toBe('IN_PROGRESS');
  });

  it('turns an unknown error into a generic 500 without its message or stack', async () => {
    const handler = httpHandler({ logger }, async () => {
      throw new Error('secret database detail');
    });
    const response = (await handler(httpEvent({}), fakeContext())) as {
      statusCode: number;
      body: string;
    };
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INTERNAL_ERROR', message: 'Internal error', details: [] },
    });
  });
});

describe('Function: httpHandler with observability', () => {
  const obs = createObservability('payment');

  function captureStdout(): { lines: () => string[]; restore: () => void } {
    const written: string[] = [];
    const spy = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    return {
      lines: () => written.join('').split('\n').filter(Boolean),
      restore: () => spy.mockRestore(),
    };
  }

  it('publishes the metrics a request counted as one EMF line', async () => {
    const handler = httpHandler({ observability: obs }, async () => {
      obs.count(METRIC.paymentsCreated);
      return json(201, {});
    });
    const out = captureStdout();
    try {
      await handler(httpEvent({}), fakeContext());
    } finally {
      out.restore();
    }
    const emf = out
      .lines()
      .map((l) => JSON.parse(l))
      .filter((r) => r._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ PaymentsCreated: 1, service: 'payment' });
  });

  it('writes no metrics line when nothing was counted', async () => {
    const handler = httpHandler({ observability: obs }, async () => json(200, {}));
    const out = captureStdout();
    try {
      await handler(httpEvent({}), fakeContext());
    } finally {
      out.restore();
    }
    expect(out.lines().filter((l) => l.includes('_aws'))).toEqual([]);
  });
});
