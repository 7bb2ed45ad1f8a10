import { beforeAll, describe, expect, it } from 'vitest';
import { AuthorizerUnavailableError, authorizeInternalCall } from '../../lib/auth/authorizer.js';
import { INTERNAL_ROUTES } from '../../lib/auth/route-policy.js';
import { createTokenVerifier, type TokenVerifier } from '../../lib/auth/token-verifier.js';
import { createLogger } from '../../lib/shared/logger.js';
import { makeKeyPair, signToken, type TestKeyPair } from '../support/service-tokens.js';

const logger = createLogger('order');
const ROUTE = 'PUT /orders/{orderId}/status';

describe('Function: authorizeInternalCall', () => {
  let payment: TestKeyPair;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    payment = await makeKeyPair('payment-k1');
    verifier = createTokenVerifier({
      routes: INTERNAL_ROUTES,
      trustedKeys: { payment: [payment.publicJwk] },
    });
  });

  it.each(['Authorization', 'authorization', 'AUTHORIZATION'])(
    'allows a valid token in the %s header and passes caller and jti',
    async (name) => {
      const token = await signToken(payment, { jti: 'jti-42' });
      const result = await authorizeInternalCall(
        { routeKey: ROUTE, headers: { [name]: `Bearer ${token}` } },
        verifier,
        logger,
      );
      expect(result).toEqual({ isAuthorized: true, context: { caller: 'payment', jti: 'jti-42' } });
    },
  );

  it.each([
    ['no header', {}],
    ['an empty header', { authorization: '' }],
    ['another scheme', { authorization: 'Basic cGF5bWVudDpzZWNyZXQ=' }],
    ['a bearer that is not a JWT', { authorization: 'Bearer abc' }],
    ['an oversized header', { authorization: `Bearer ${'a'.repeat(5000)}.b.c` }],
  ])('denies %s without throwing', async (_name, headers) => {
    const result = await authorizeInternalCall({ routeKey: ROUTE, headers }, verifier, logger);
    expect(result.isAuthorized).toBe(false);
  });

  it('denies a valid token presented on a route that is not internal', async () => {
    const token = await signToken(payment);
    const result = await authorizeInternalCall(
      { routeKey: 'GET /orders/{orderId}', headers: { authorization: `Bearer ${token}` } },
      verifier,
      logger,
    );
    expect(result.isAuthorized).toBe(false);
  });

  it('fails as a server error, never a deny API Gateway would cache, when the keys cannot be loaded', async () => {
    const broken = createTokenVerifier({
      routes: INTERNAL_ROUTES,
      trustedKeys: async () => {
        throw new Error('SSM unavailable');
      },
    });
    const token = await signToken(payment);
    const call = authorizeInternalCall(
      { routeKey: ROUTE, headers: { authorization: `Bearer ${token}` } },
      broken,
      logger,
    );
    await expect(call).rejects.toBeInstanceOf(AuthorizerUnavailableError);
    await expect(call).rejects.toMatchObject({ cause: new Error('SSM unavailable') });
  });
});
