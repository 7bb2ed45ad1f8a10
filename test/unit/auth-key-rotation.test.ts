import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { KEY_CACHE_SECONDS, KEY_EARLY_REFRESH_SECONDS } from '../../lib/auth/config.js';
import { ssmKeySource } from '../../lib/auth/key-source.js';
import { INTERNAL_ROUTES } from '../../lib/auth/route-policy.js';
import { createTokenProvider } from '../../lib/auth/token-provider.js';
import { createTokenVerifier, isTokenRejectedError } from '../../lib/auth/token-verifier.js';

const PREFIX = '/lambda-payments/prod/auth';
const SIGNING = `${PREFIX}/payment/signing-key`;
const PUBLIC = `${PREFIX}/payment/public-keys`;
const ROUTE = 'PUT /orders/{orderId}/status';

/** A key pair as JWKs, as scripts/lib/stack/keys.mjs writes them. */
async function pair(kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' },
  };
}

/**
 * Two containers that stay warm through the whole rotation, as in AWS: a
 * payment function (token provider) and the authorizer (verifier), both
 * reading one SSM store through ssmKeySource, under one fake clock.
 */
function containers() {
  const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
  const parameters = new Map<string, string>();
  const reads: string[] = [];
  const keys = ssmKeySource(PREFIX, async (name) => {
    reads.push(name);
    return parameters.get(name);
  });
  const provide = createTokenProvider({
    issuer: 'payment',
    signingKey: () => keys.signingKey('payment'),
    clock: () => clock.now,
  });
  const verifier = createTokenVerifier({
    routes: INTERNAL_ROUTES,
    trustedKeys: () => keys.trustedKeys(['payment']),
    clock: () => clock.now,
  });
  const verdict = async (token: string) => {
    try {
      return `accepted ${(await verifier.verify(token, ROUTE)).kid}`;
    } catch (error) {
      if (isTokenRejectedError(error)) return `refused ${error.reason}`;
      throw error;
    }
  };
  const advance = (seconds: number) => {
    clock.now += seconds * 1000;
  };
  return { clock, parameters, reads, provide, verdict, advance };
}

const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

describe("Key rotation as docs/security.md's four steps describe it", () => {
  it("rotates payment's key with no call refused and no container recycled", async () => {
    const c = containers();
    const k1 = await pair('payment-k1');
    c.parameters.set(SIGNING, JSON.stringify(k1.privateJwk));
    c.parameters.set(PUBLIC, JSON.stringify([k1.publicJwk]));
    const before = await c.provide('order');
    expect(await c.verdict(before)).toBe('accepted payment-k1');

    // 1. Generate a new pair with a new kid.
    const k2 = await pair('payment-k2');

    // 2. Add its public JWK (two keys now), and wait the parameter cache.
    c.parameters.set(PUBLIC, JSON.stringify([k1.publicJwk, k2.publicJwk]));
    c.advance(KEY_CACHE_SECONDS + 1);
    const stillOld = await c.provide('order');
    expect(kidOf(stillOld)).toBe('payment-k1');
    expect(await c.verdict(stillOld)).toBe('accepted payment-k1');

    // 3. Put the new private JWK in place: within the cache time every signer uses it.
    c.parameters.set(SIGNING, JSON.stringify(k2.privateJwk));
    const inFlight = await c.provide('order');
    c.advance(KEY_CACHE_SECONDS + 1);
    const rotated = await c.provide('order');
    expect(kidOf(rotated)).toBe('payment-k2');
    expect(await c.verdict(rotated)).toBe('accepted payment-k2');
    // Tokens signed with the old key before the switch stay valid until they expire.
    expect(await c.verdict(inFlight)).toMatch(/^accepted payment-k1|^refused expired/);

    // 4. After cache + token life (10 minutes), remove the old public key.
    c.advance(600 - (KEY_CACHE_SECONDS + 1));
    c.parameters.set(PUBLIC, JSON.stringify([k2.publicJwk]));
    c.advance(KEY_CACHE_SECONDS + 1);
    const after = await c.provide('order');
    expect(await c.verdict(after)).toBe('accepted payment-k2');
    // A token made with the old key (a leaked one, say) is now refused: its kid is gone.
    const leaked = createTokenProvider({
      issuer: 'payment',
      signingKey: async () => ({
        kid: 'payment-k1',
        alg: 'ES256',
        key: (await importJWK(k1.privateJwk, 'ES256')) as CryptoKey,
      }),
      clock: () => c.clock.now,
    });
    expect(await c.verdict(await leaked('order'))).toBe('refused unknown-key');
  });

  it('accepts a new kid before its cache time through one early reload, rate-limited', async () => {
    const c = containers();
    const k1 = await pair('payment-k1');
    const k2 = await pair('payment-k2');
    c.parameters.set(SIGNING, JSON.stringify(k1.privateJwk));
    c.parameters.set(PUBLIC, JSON.stringify([k1.publicJwk]));
    expect(await c.verdict(await c.provide('order'))).toBe('accepted payment-k1');

    // Steps 2 and 3 at once, and no waiting: the signer already uses k2 (its own cache passed).
    c.parameters.set(PUBLIC, JSON.stringify([k1.publicJwk, k2.publicJwk]));
    c.parameters.set(SIGNING, JSON.stringify(k2.privateJwk));
    c.advance(KEY_CACHE_SECONDS - 30);
    const signerWith = (key: JWK) => {
      const signer = containers();
      signer.clock.now = c.clock.now;
      signer.parameters.set(SIGNING, JSON.stringify(key));
      return signer;
    };
    const token = await signerWith(k2.privateJwk).provide('order');

    const publicReads = () => c.reads.filter((name) => name === PUBLIC).length;
    const readsBefore = publicReads();
    expect(await c.verdict(token)).toBe('accepted payment-k2');
    expect(publicReads()).toBe(readsBefore + 1);

    // A flood of made-up kids costs at most one read per early-refresh interval.
    const k3 = await pair('payment-k3');
    const unknown = await signerWith(k3.privateJwk).provide('order');
    for (let i = 0; i < 20; i++) expect(await c.verdict(unknown)).toBe('refused unknown-key');
    expect(publicReads()).toBe(readsBefore + 1);
    c.advance(KEY_EARLY_REFRESH_SECONDS);
    expect(await c.verdict(unknown)).toBe('refused unknown-key');
    expect(publicReads()).toBe(readsBefore + 2);
  });

  it('keeps signing and verifying with the keys it has while SSM has none to give', async () => {
    const c = containers();
    const k1 = await pair('payment-k1');
    c.parameters.set(SIGNING, JSON.stringify(k1.privateJwk));
    c.parameters.set(PUBLIC, JSON.stringify([k1.publicJwk]));
    expect(await c.verdict(await c.provide('order'))).toBe('accepted payment-k1');
    const saved = new Map(c.parameters);
    c.parameters.clear();
    c.advance(KEY_CACHE_SECONDS + 1);
    expect(await c.verdict(await c.provide('order'))).toBe('accepted payment-k1');
    for (const [name, value] of saved) c.parameters.set(name, value);
  });
});
