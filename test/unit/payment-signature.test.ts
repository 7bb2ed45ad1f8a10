import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCallbackRoute } from '../../lib/payment/routes.js';
import {
  InvalidSignatureError,
  signGatewayPayload,
  verifyGatewaySignature,
} from '../../lib/payment/webhook-signature.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { fakeContext, httpEvent } from '../support/lambda.js';
import { withLogLines } from '../support/output.js';

const secret = 'unit-secret';
const body = '{"transactionId":"t-1","status":"succeeded","gatewayReference":"g-1"}';
const now = new Date('2026-01-01T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);

function verify(header: string | undefined, raw = body, at = now) {
  return () => verifyGatewaySignature(header, raw, { secret, now: at });
}

/** The error `run` throws (or undefined). */
function thrown(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Headers of each way a callback's signature is refused, with the check that refuses it. */
const REFUSED: Array<[string, Record<string, string>, string]> = [
  ['no signature header', {}, 'missing'],
  ['a header without a timestamp', { 'x-gateway-signature': 'v1=abcdef' }, 'malformed'],
  [
    'a timestamp outside the window',
    { 'x-gateway-signature': signGatewayPayload(body, secret, t - 301) },
    'stale',
  ],
  [
    'a signature made with another secret',
    { 'x-gateway-signature': signGatewayPayload(body, 'other', t) },
    'mismatch',
  ],
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: verifyGatewaySignature', () => {
  it('accepts a signature made with the secret over the timestamp and raw body', () => {
    expect(verify(signGatewayPayload(body, secret, t))).not.toThrow();
  });

  it('accepts a signature 299 seconds old and refuses one 301 seconds old', () => {
    expect(verify(signGatewayPayload(body, secret, t - 299))).not.toThrow();
    for (const header of [
      signGatewayPayload(body, secret, t - 301),
      signGatewayPayload(body, secret, t + 301),
    ]) {
      expect(thrown(verify(header))).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'stale' });
    }
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['without a timestamp', 'v1=abcdef', 'malformed'],
    ['without a v1 signature', `t=${t}`, 'malformed'],
    ['with a non-numeric timestamp', `t=abc,v1=${'0'.repeat(64)}`, 'malformed'],
  ])('throws 401 INVALID_SIGNATURE when the header is %s', (_case, header, reason) => {
    expect(thrown(verify(header))).toMatchObject({
      status: 401,
      code: 'INVALID_SIGNATURE',
      reason,
    });
  });

  it('throws when the body was changed after signing', () => {
    const error = thrown(
      verify(signGatewayPayload(body, secret, t), body.replace('succeeded', 'failed')),
    );
    expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'mismatch' });
  });

  it('throws when another secret signed it', () => {
    expect(thrown(verify(signGatewayPayload(body, 'other', t)))).toMatchObject({
      reason: 'mismatch',
    });
  });

  it('throws one message whatever the check: the reason is a field, never in the message', () => {
    const errors = [
      verify(undefined),
      verify('v1=abcdef'),
      verify(signGatewayPayload(body, secret, t - 301)),
      verify(signGatewayPayload(body, 'other', t)),
    ].map(thrown);
    expect(new Set(errors.map((e) => (e as Error).message))).toEqual(
      new Set(['Invalid gateway signature']),
    );
    for (const error of errors) expect(error).toBeInstanceOf(InvalidSignatureError);
  });

  it('accepts the header when one of several v1 signatures matches (secret rotation)', () => {
    const good = signGatewayPayload(body, secret, t).split('v1=')[1];
    expect(verify(`t=${t},v1=${'0'.repeat(64)},v1=${good}`)).not.toThrow();
  });
});

describe('Route: POST /payments/callback with a refused signature', () => {
  const confirm = vi.fn();
  const logger = new Logger({ serviceName: 'payment', logLevel: 'INFO' });
  const handler = httpHandler(
    { logger, body: true },
    createCallbackRoute({
      logger,
      confirm,
      secret,
      toleranceSeconds: 300,
      clock: () => now,
      faultsEnabled: false,
      internalClient: { send: vi.fn() },
    }),
  );

  /** The answer and the log lines of one callback with these headers. */
  async function callback(headers: Record<string, string>) {
    const { result: answer, lines } = await withLogLines(
      async () =>
        (await handler(
          httpEvent({
            method: 'POST',
            path: '/payments/callback',
            rawBody: body,
            headers: { 'content-type': 'application/json', ...headers },
          }),
          fakeContext(),
        )) as { statusCode: number; body: string },
    );
    return { answer, lines };
  }

  it('answers every failed check with the same 401 body, naming none of them', async () => {
    const bodies = new Set<string>();
    for (const [, headers] of REFUSED) {
      const { answer } = await callback(headers);
      expect(answer.statusCode).toBe(401);
      bodies.add(answer.body);
    }
    expect([...bodies]).toEqual([
      JSON.stringify({
        error: { code: 'INVALID_SIGNATURE', message: 'Invalid gateway signature', details: [] },
      }),
    ]);
    expect(confirm).not.toHaveBeenCalled();
  });

  it.each(REFUSED)(
    'logs at WARN which check refused %s, and nothing at ERROR',
    async (_what, headers, reason) => {
      const { lines } = await callback(headers);
      const refused = lines.filter((l) => l.action === 'payment.callback.signature');
      expect(refused).toEqual([
        expect.objectContaining({ level: 'WARN', outcome: 'rejected', reason }),
      ]);
      expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
      const access = lines.find((l) => l.action === 'http.request');
      expect(access).toMatchObject({ level: 'WARN', status: 401, code: 'INVALID_SIGNATURE' });
    },
  );
});
