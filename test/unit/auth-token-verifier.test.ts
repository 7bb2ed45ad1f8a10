import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_ROUTES } from '../../lib/auth/route-policy.js';
import {
  createTokenVerifier,
  type RejectionReason,
  type TokenVerifier,
} from '../../lib/auth/token-verifier.js';
import {
  claimsFor,
  hs256WithPublicKey,
  makeKeyPair,
  signToken,
  type TestKeyPair,
  unsignedToken,
} from '../support/service-tokens.js';

const ORDER_STATUS = 'PUT /orders/{orderId}/status';
const NOTIFICATIONS = 'POST /notifications';

describe('Class: TokenVerifier', () => {
  const now = Date.UTC(2026, 10, 24, 9, 0, 0);
  let payment: TestKeyPair;
  let paymentNext: TestKeyPair;
  let order: TestKeyPair;
  let stranger: TestKeyPair;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    payment = await makeKeyPair('payment-2026-11');
    paymentNext = await makeKeyPair('payment-2026-12', 'EdDSA');
    order = await makeKeyPair('order-2026-11');
    stranger = await makeKeyPair('payment-2026-11'); // same kid, another key
    verifier = createTokenVerifier({
      routes: INTERNAL_ROUTES,
      // order's key is trusted too, yet order is not an allowed caller of either route.
      trustedKeys: {
        payment: [payment.publicJwk, paymentNext.publicJwk],
        order: [order.publicJwk],
      },
      clockToleranceSeconds: 5,
      clock: () => now,
    });
  });

  const rejection = async (token: string, route = ORDER_STATUS): Promise<RejectionReason> => {
    const error = await verifier.verify(token, route).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'TokenRejectedError' });
    return (error as { reason: RejectionReason }).reason;
  };

  it('accepts a payment token for the order status route and returns the caller', async () => {
    const token = await signToken(payment, { jti: 'jti-1' }, now);
    await expect(verifier.verify(token, ORDER_STATUS)).resolves.toEqual({
      caller: 'payment',
      jti: 'jti-1',
      kid: 'payment-2026-11',
    });
  });

  it('accepts both active keys of an issuer during a rotation (by kid)', async () => {
    const token = await signToken(paymentNext, { aud: 'notification' }, now);
    await expect(verifier.verify(token, NOTIFICATIONS)).resolves.toMatchObject({
      caller: 'payment',
      kid: 'payment-2026-12',
    });
  });

  it('accepts a token whose clock is ahead by less than the tolerance', async () => {
    const token = await signToken(payment, { iatOffset: 4, nbfOffset: 4 }, now);
    await expect(verifier.verify(token, ORDER_STATUS)).resolves.toMatchObject({
      caller: 'payment',
    });
  });

  it.each<[string, () => Promise<string>, RejectionReason, string?]>([
    [
      'a signature by another key under the same kid',
      () => signToken(stranger, {}, now),
      'bad-signature',
    ],
    [
      'a token for another service (aud notification)',
      () => signToken(payment, { aud: 'notification' }, now),
      'wrong-audience',
    ],
    [
      'a token addressed to several services at once (aud [order, notification])',
      () => signToken(payment, { aud: ['order', 'notification'] }, now),
      'wrong-audience',
    ],
    [
      'a token for the other route',
      () => signToken(payment, { aud: 'order' }, now),
      'wrong-audience',
      NOTIFICATIONS,
    ],
    [
      'an issuer that may not call the route (order)',
      () => signToken(order, { iss: 'order' }, now),
      'caller-not-allowed',
    ],
    [
      'a token claiming payment but signed with the key of order',
      () => signToken(order, { iss: 'payment' }, now),
      'unknown-key',
    ],
    ['an unknown issuer', () => signToken(stranger, { iss: 'client' }, now), 'caller-not-allowed'],
    ['an unknown kid', () => signToken(payment, { kid: 'payment-1999' }, now), 'unknown-key'],
    [
      'an expired token',
      () => signToken(payment, { iatOffset: -200, lifetime: 120 }, now),
      'expired',
    ],
    [
      'a token expired just beyond the tolerance',
      () => signToken(payment, { iatOffset: -126, lifetime: 120 }, now),
      'expired',
    ],
    [
      'a token not valid yet (nbf)',
      () => signToken(payment, { nbfOffset: 60 }, now),
      'not-yet-valid',
    ],
    [
      'a token issued in the future',
      () => signToken(payment, { iatOffset: 60 }, now),
      'issued-in-future',
    ],
    [
      'exp more than 300 s after iat',
      () => signToken(payment, { lifetime: 301 }, now),
      'lifetime-too-long',
    ],
    ['a token without jti', () => signToken(payment, { jti: null }, now), 'missing-claim'],
    [
      'a jti that is not an id',
      () => signToken(payment, { jti: 'a b<script>' }, now),
      'missing-claim',
    ],
    [
      'alg none',
      async () => unsignedToken(payment.kid, claimsFor('payment', 'order', now)),
      'unsupported-alg',
    ],
    [
      'HS256 signed with the public key as secret',
      () =>
        hs256WithPublicKey(
          payment.publicJwk as JWK & { kid: string },
          claimsFor('payment', 'order', now),
        ),
      'unsupported-alg',
    ],
    ['a string that is not a JWT', async () => 'not-a-jwt', 'malformed'],
    [
      'a JWT with a tampered payload',
      async () => {
        const [h, , s] = (await signToken(payment, {}, now)).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claimsFor('payment', 'order', now))).toString('base64url')}.${s}`;
      },
      'bad-signature',
    ],
  ])('refuses %s', async (_name, make, reason, route) => {
    expect(await rejection(await make(), route)).toBe(reason);
  });

  it('refuses any token on a route that is not internal', async () => {
    expect(await rejection(await signToken(payment, {}, now), 'POST /orders')).toBe(
      'unknown-route',
    );
  });

  it('refuses every token when the key store cannot be loaded, and loads again next time', async () => {
    let calls = 0;
    const flaky = createTokenVerifier({
      routes: INTERNAL_ROUTES,
      trustedKeys: async () => {
        calls += 1;
        if (calls === 1) throw new Error('SSM unavailable');
        return { payment: [payment.publicJwk] };
      },
      clock: () => now,
    });
    const token = await signToken(payment, {}, now);
    await expect(flaky.verify(token, ORDER_STATUS)).rejects.toThrow('SSM unavailable');
    await expect(flaky.verify(token, ORDER_STATUS)).resolves.toMatchObject({ caller: 'payment' });
  });
});
