import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, expectErrorFormat, uniqueId } from '../support/http.js';
import {
  claimsFor,
  hs256WithPublicKey,
  makeKeyPair,
  offlineServiceKey as serviceKey,
  signToken,
  type TestKeyPair,
  unsignedToken,
} from '../support/service-tokens.js';

const ROUTES = [
  {
    name: 'order status',
    method: 'PUT',
    path: () => `/orders/${uniqueId('o')}/status`,
    aud: 'order',
    other: 'notification',
    body: () => ({ status: 'PAID' }),
    allowedStatus: 404,
  },
  {
    name: 'notifications',
    method: 'POST',
    path: () => '/notifications',
    aud: 'notification',
    other: 'order',
    body: () => ({ userId: 'u-1', message: uniqueId('hi') }),
    allowedStatus: 201,
  },
] as const;

// Through serverless-offline's real request authorizer. Offline answers 401
// itself when the Authorization header is missing (API Gateway does too), and
// 403 when our authorizer denies (isAuthorized: false); neither body is ours:
// API Gateway's own responses cannot be reshaped on an HTTP API.
describe('Internal routes over serverless-offline: service-to-service JWTs', () => {
  let payment: TestKeyPair;
  let order: TestKeyPair;
  let stranger: TestKeyPair;

  beforeAll(async () => {
    payment = await serviceKey('payment');
    order = await serviceKey('order');
    stranger = await makeKeyPair(payment.kid); // same kid as payment's, another key
  });

  describe.each(ROUTES)('$method $name', (route) => {
    const call = (authorization?: string, headers: Record<string, string> = {}) =>
      api(route.method, route.path(), {
        body: route.body(),
        headers:
          authorization === undefined ? headers : { ...headers, Authorization: authorization },
      });

    it('refuses a call without a token with 401', async () => {
      const response = await call();
      expect(response.status).toBe(401);
    });

    it('lets a valid payment token through to the handler', async () => {
      const token = await signToken(payment, { aud: route.aud });
      const response = await call(`Bearer ${token}`, { 'x-correlation-id': 'e2e-auth-valid-01' });
      // The handler ran: the order is unknown (404 in our format), the notification is sent (201).
      expect(response.status).toBe(route.allowedStatus);
      if (response.status >= 400) expectErrorFormat(response.body);
      expect(response.headers.get('x-correlation-id')).toBe('e2e-auth-valid-01');
    });

    it('accepts the header name in lower case too', async () => {
      const token = await signToken(payment, { aud: route.aud });
      const response = await api(route.method, route.path(), {
        body: route.body(),
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(route.allowedStatus);
    });

    it.each<[string, () => Promise<string>]>([
      ['a bad signature (another key, same kid)', () => signToken(stranger, { aud: route.aud })],
      ['a wrong audience', () => signToken(payment, { aud: 'payment' })],
      ['a token for the other internal route', () => signToken(payment, { aud: route.other })],
      [
        'a wrong issuer (order may not call this)',
        () => signToken(order, { iss: 'order', aud: route.aud }),
      ],
      [
        'payment as issuer but the key of order',
        () => signToken(order, { iss: 'payment', aud: route.aud }),
      ],
      [
        'an expired token',
        () => signToken(payment, { aud: route.aud, iatOffset: -200, lifetime: 120 }),
      ],
      ['a token not valid yet', () => signToken(payment, { aud: route.aud, nbfOffset: 120 })],
      [
        'exp more than 300 s after iat',
        () => signToken(payment, { aud: route.aud, lifetime: 600 }),
      ],
      ['an unknown kid', () => signToken(payment, { aud: route.aud, kid: 'payment-unknown' })],
      ['alg none', async () => unsignedToken(payment.kid, claimsFor('payment', route.aud))],
      [
        'HS256 with the public key as secret',
        () =>
          hs256WithPublicKey(
            payment.publicJwk as JWK & { kid: string },
            claimsFor('payment', route.aud),
          ),
      ],
      ['garbage', async () => 'not.a.jwt'],
    ])('refuses %s with 403', async (_name, make) => {
      const response = await call(`Bearer ${await make()}`);
      expect(response.status).toBe(403);
      expect(response.text).not.toMatch(/at .*\.(ts|js|mjs):\d+/); // no stack
    });

    it('refuses a token that is not a Bearer token with 403', async () => {
      const token = await signToken(payment, { aud: route.aud });
      expect((await call(`Basic ${token}`)).status).toBe(403);
    });

    it('ignores an offline authorizer-override header without a token (still 401)', async () => {
      const response = await call(undefined, {
        'sls-offline-authorizer-override': JSON.stringify({ lambda: { caller: 'payment' } }),
      });
      expect(response.status).toBe(401);
    });
  });
});
