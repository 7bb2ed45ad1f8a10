import { describe, expect, it } from 'vitest';
import { signGatewayPayload, verifyGatewaySignature } from '../../lib/payment/webhook-signature.js';

const secret = 'unit-secret';
const body = '{"transactionId":"t-1","status":"succeeded","gatewayReference":"g-1"}';
const now = new Date('2026-01-01T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);

function verify(header: string | undefined, raw = body, at = now) {
  return () => verifyGatewaySignature(header, raw, { secret, now: at });
}

describe('Function: verifyGatewaySignature', () => {
  it('accepts a signature made with the secret over the timestamp and raw body', () => {
    expect(verify(signGatewayPayload(body, secret, t))).not.toThrow();
  });

  it('accepts a signature 299 seconds old and refuses one 301 seconds old', () => {
    expect(verify(signGatewayPayload(body, secret, t - 299))).not.toThrow();
    expect(verify(signGatewayPayload(body, secret, t - 301))).toThrow(/stale/);
    expect(verify(signGatewayPayload(body, secret, t + 301))).toThrow(/stale/);
  });

  it.each([
    ['missing', undefined],
    ['without a timestamp', 'v1=abcdef'],
    ['without a v1 signature', `t=${t}`],
    ['with a non-numeric timestamp', `t=abc,v1=${'0'.repeat(64)}`],
  ])('throws 401 INVALID_SIGNATURE when the header is %s', (_case, header) => {
    expect(verify(header)).toThrow(
      expect.objectContaining({ status: 401, code: 'INVALID_SIGNATURE' }),
    );
  });

  it('throws when the body was changed after signing', () => {
    expect(
      verify(signGatewayPayload(body, secret, t), body.replace('succeeded', 'failed')),
    ).toThrow(/mismatch/);
  });

  it('throws when another secret signed it', () => {
    expect(verify(signGatewayPayload(body, 'other', t))).toThrow(/mismatch/);
  });

  it('accepts the header when one of several v1 signatures matches (secret rotation)', () => {
    const good = signGatewayPayload(body, secret, t).split('v1=')[1];
    expect(verify(`t=${t},v1=${'0'.repeat(64)},v1=${good}`)).not.toThrow();
  });
});
