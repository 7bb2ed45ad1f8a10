import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { keySourceFromEnv } from '../../lib/auth/config.js';
import { ssmKeySource, staticKeySource } from '../../lib/auth/key-source.js';
import { loadSigningKey, parseTrustedKeys } from '../../lib/auth/keys.js';

describe('Keys: signing keys, trusted keys and where they come from', () => {
  let privateJwk: Record<string, unknown>;
  let publicJwk: Record<string, unknown>;
  let nextPublicJwk: Record<string, unknown>;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const next = await generateKeyPair('ES256', { extractable: true });
    const meta = { kid: 'payment-k1', alg: 'ES256' };
    privateJwk = { ...(await exportJWK(pair.privateKey)), ...meta };
    publicJwk = { ...(await exportJWK(pair.publicKey)), ...meta };
    nextPublicJwk = { ...(await exportJWK(next.publicKey)), kid: 'payment-k2', alg: 'ES256' };
  });

  it('loads a private JWK with its kid and alg', async () => {
    const key = await loadSigningKey(JSON.stringify(privateJwk));
    expect(key).toMatchObject({ kid: 'payment-k1', alg: 'ES256' });
  });

  it.each([
    ['without kid', () => ({ ...privateJwk, kid: undefined })],
    ['without alg', () => ({ ...privateJwk, alg: undefined })],
    ['with an HMAC alg', () => ({ ...privateJwk, alg: 'HS256' })],
    ['that is public only', () => publicJwk],
    ['that is a symmetric key', () => ({ kty: 'oct', k: 'c2VjcmV0', kid: 'x', alg: 'HS256' })],
  ])('refuses a signing key %s', async (_name, jwk) => {
    await expect(loadSigningKey(jwk())).rejects.toThrow(/signing key/);
  });

  it('accepts two active public keys per issuer and refuses a third', () => {
    expect(parseTrustedKeys({ payment: [publicJwk, nextPublicJwk] }).payment).toHaveLength(2);
    expect(() =>
      parseTrustedKeys({ payment: [publicJwk, nextPublicJwk, { ...publicJwk, kid: 'k3' }] }),
    ).toThrow(/trusted keys/);
  });

  it('says which member of which key is wrong', async () => {
    expect(() =>
      parseTrustedKeys({ payment: [{ kty: 'RSA', n: 'x', e: 'AQAB', kid: 'r', alg: 'RS256' }] }),
    ).toThrow(/payment\.0\.kty: .*"RSA"/);
    expect(() => parseTrustedKeys({ order: [{ ...publicJwk, kid: 'a b' }] })).toThrow(
      /order\.0\.kid: kid must be 1-128 id characters/,
    );
    await expect(loadSigningKey({ ...privateJwk, alg: 'HS256' })).rejects.toThrow(/alg: /);
  });

  it('refuses a private key among the trusted keys', () => {
    expect(() => parseTrustedKeys({ payment: [privateJwk] })).toThrow(/private key/);
  });

  it('refuses trusted keys for an unknown service or in bad JSON', () => {
    expect(() => parseTrustedKeys({ client: [publicJwk] })).toThrow(/trusted keys/);
    expect(() => parseTrustedKeys('{nope')).toThrow(/not valid JSON/);
  });

  it('reads keys from SSM parameters under the prefix, decrypting only the private key', async () => {
    const reads: Array<{ name: string; decrypt: boolean }> = [];
    const params: Record<string, string> = {
      '/lp/prod/auth/payment/signing-key': JSON.stringify(privateJwk),
      '/lp/prod/auth/payment/public-keys': JSON.stringify([publicJwk, nextPublicJwk]),
    };
    const source = ssmKeySource('/lp/prod/auth/', async (name, { decrypt }) => {
      reads.push({ name, decrypt });
      return params[name];
    });
    await expect(source.signingKey('payment')).resolves.toMatchObject({ kid: 'payment-k1' });
    const trusted = await source.trustedKeys(['payment']);
    expect(trusted.payment?.map((k) => k.kid)).toEqual(['payment-k1', 'payment-k2']);
    expect(reads).toEqual([
      { name: '/lp/prod/auth/payment/signing-key', decrypt: true },
      { name: '/lp/prod/auth/payment/public-keys', decrypt: false },
    ]);
    await expect(source.trustedKeys(['order'])).rejects.toThrow(/missing or empty/);
  });

  it('uses SSM when AUTH_KEYS_SSM_PREFIX is set, else the AUTH_* variables', async () => {
    let ssmUsed = false;
    const reader = async () => {
      ssmUsed = true;
      return JSON.stringify(privateJwk);
    };
    const fromEnv = keySourceFromEnv(
      'payment',
      { AUTH_SIGNING_KEY: JSON.stringify(privateJwk) },
      reader,
    );
    await expect(fromEnv.signingKey('payment')).resolves.toMatchObject({ kid: 'payment-k1' });
    expect(ssmUsed).toBe(false);
    const fromSsm = keySourceFromEnv('payment', { AUTH_KEYS_SSM_PREFIX: '/lp/prod/auth' }, reader);
    await expect(fromSsm.signingKey('payment')).resolves.toMatchObject({ kid: 'payment-k1' });
    expect(ssmUsed).toBe(true);
  });

  it('gives a service only its own signing key and a verifier only the issuers it asks for', async () => {
    const source = staticKeySource({
      signingKeys: { payment: JSON.stringify(privateJwk) },
      trustedKeys: JSON.stringify({ payment: [publicJwk], order: [nextPublicJwk] }),
    });
    await expect(source.signingKey('order')).rejects.toThrow(/No signing key/);
    expect(Object.keys(await source.trustedKeys(['payment']))).toEqual(['payment']);
  });
});
