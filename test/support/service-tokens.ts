import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { inject } from 'vitest';

/** A key pair as the services hold it: private key for signing, public JWK with kid for verifiers. */
export interface TestKeyPair {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK & { kid: string; alg: string };
}

/** Makes a fresh key pair named `kid`. */
export async function makeKeyPair(
  kid: string,
  alg: 'ES256' | 'EdDSA' = 'ES256',
): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

/** Claims and header of a hand-made token; every field can be bent to make a bad one. */
export interface TokenSpec {
  iss?: string;
  aud?: string | string[];
  /** Seconds relative to now. */
  iatOffset?: number;
  lifetime?: number;
  nbfOffset?: number;
  jti?: string | null;
  kid?: string;
}

/** Signs a token with `key` as a service would, with any claim bent by `spec`. */
export async function signToken(
  key: TestKeyPair,
  spec: TokenSpec = {},
  nowMs = Date.now(),
): Promise<string> {
  const iat = Math.floor(nowMs / 1000) + (spec.iatOffset ?? 0);
  const claims: Record<string, unknown> = {};
  if (spec.jti !== null) claims.jti = spec.jti ?? randomUUID();
  if (spec.nbfOffset !== undefined) claims.nbf = Math.floor(nowMs / 1000) + spec.nbfOffset;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: spec.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(spec.iss ?? 'payment')
    .setAudience(spec.aud ?? 'order')
    .setIssuedAt(iat)
    .setExpirationTime(iat + (spec.lifetime ?? 120))
    .sign(key.privateKey);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token (`alg: none`) with valid-looking claims. */
export function unsignedToken(kid: string, claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', kid, typ: 'JWT' })}.${b64url(claims)}.`;
}

/**
 * The classic key-confusion forgery: HS256 with the verifier's PUBLIC key
 * (its JWK text) as the HMAC secret.
 */
export async function hs256WithPublicKey(
  publicJwk: JWK & { kid: string },
  claims: Record<string, unknown>,
) {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid }).sign(secret);
}

/** Valid-looking claims for hand-made tokens. */
export function claimsFor(iss: string, aud: string, nowMs = Date.now()): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return { iss, aud, iat, exp: iat + 120, jti: randomUUID() };
}

/** A service's dev key as the e2e stack's serverless-offline runs with it (the global setup made them). */
export async function offlineServiceKey(
  service: string,
): Promise<TestKeyPair & { publicJwk: JWK }> {
  const keys = inject('serviceKeys');
  const privateJwk = JSON.parse(keys[`AUTH_SIGNING_KEY_${service.toUpperCase()}`] ?? '') as JWK & {
    kid: string;
  };
  const trusted = JSON.parse(keys.AUTH_TRUSTED_KEYS ?? '{}') as Record<string, JWK[]>;
  const publicJwk = trusted[service]?.[0] as JWK & { kid: string; alg: string };
  return {
    kid: privateJwk.kid,
    alg: 'ES256',
    privateKey: (await importJWK(privateJwk, 'ES256')) as CryptoKey,
    publicJwk,
  };
}

/** Headers of an internal call from the payment service to `audience`, as its client sends them. */
export async function paymentCallHeaders(
  audience: 'order' | 'notification',
): Promise<Record<string, string>> {
  const token = await signToken(await offlineServiceKey('payment'), {
    aud: audience,
    lifetime: 300,
  });
  return { authorization: `Bearer ${token}` };
}
