import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../lib/auth/keys.js';
import { createTokenProvider } from '../../lib/auth/token-provider.js';

describe('Function: createTokenProvider', () => {
  let signingKey: SigningKey;
  let publicKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = { kid: 'payment-k1', alg: 'ES256', key: pair.privateKey };
    publicKey = pair.publicKey;
  });

  const clockAt = (start: number) => {
    const clock = { now: start, tick: (s: number) => (clock.now += s * 1000) };
    return clock;
  };

  it('mints an ES256 token with iss, aud, iat, exp = iat + ttl, a jti and the kid', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const provide = createTokenProvider({
      issuer: 'payment',
      signingKey,
      ttlSeconds: 120,
      clock: () => clock.now,
    });
    const token = await provide('order');
    const { payload } = await jwtVerify(token, publicKey, {
      issuer: 'payment',
      audience: 'order',
      currentDate: new Date(clock.now),
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'payment-k1', typ: 'JWT' });
    expect(payload.iat).toBe(clock.now / 1000);
    expect(payload.exp).toBe(clock.now / 1000 + 120);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reuses a token for the same audience while it is younger than half its life', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const provide = createTokenProvider({ issuer: 'payment', signingKey, clock: () => clock.now });
    const first = await provide('order');
    clock.tick(59);
    expect(await provide('order')).toBe(first);
    clock.tick(1); // 60 s = half of 120
    const second = await provide('order');
    expect(second).not.toBe(first);
    expect(decodeJwt(second).jti).not.toBe(decodeJwt(first).jti);
  });

  it('mints a separate token per audience', async () => {
    const provide = createTokenProvider({ issuer: 'payment', signingKey });
    const [order, notification] = await Promise.all([provide('order'), provide('notification')]);
    expect(decodeJwt(order).aud).toBe('order');
    expect(decodeJwt(notification).aud).toBe('notification');
  });

  it('signs once when many calls for one audience arrive together', async () => {
    const provide = createTokenProvider({ issuer: 'payment', signingKey });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provide('order')));
    expect(new Set(tokens).size).toBe(1);
  });

  it('loads the signing key lazily, once, and retries a failed load', async () => {
    let loads = 0;
    const provide = createTokenProvider({
      issuer: 'payment',
      signingKey: async () => {
        loads += 1;
        if (loads === 1) throw new Error('SSM unavailable');
        return signingKey;
      },
    });
    expect(loads).toBe(0);
    await expect(provide('order')).rejects.toThrow('SSM unavailable');
    await expect(provide('order')).resolves.toMatch(/^ey/);
    await provide('notification');
    expect(loads).toBe(2);
  });

  it.each([0, 1, 301, 1.5])('refuses a ttl of %s seconds', (ttlSeconds) => {
    expect(() => createTokenProvider({ issuer: 'payment', signingKey, ttlSeconds })).toThrow(
      RangeError,
    );
  });

  it('accepts an EdDSA key', async () => {
    const pair = await generateKeyPair('EdDSA');
    const provide = createTokenProvider({
      issuer: 'payment',
      signingKey: { kid: 'payment-ed', alg: 'EdDSA', key: pair.privateKey },
    });
    const token = await provide('notification');
    await expect(jwtVerify(token, pair.publicKey)).resolves.toBeTruthy();
    expect(await exportJWK(pair.publicKey)).toMatchObject({ crv: 'Ed25519' });
  });
});
