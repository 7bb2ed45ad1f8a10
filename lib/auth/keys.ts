import { type CryptoKey, importJWK, type JWK } from 'jose';
import * as v from 'valibot';
import type { ServiceName } from '../shared/logger.js';
import { ID_PATTERN } from '../shared/validation.js';

/** The only signature algorithms a service token may use (asymmetric; no `none`, no HMAC). */
export const ALLOWED_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** One of {@link ALLOWED_ALGORITHMS}. */
export type SigningAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

/** Verification accepts at most this many keys per issuer: the current one and the next (or previous). */
export const MAX_ACTIVE_KEYS_PER_ISSUER = 2;

/** A service's private signing key, ready for jose, with the `kid` that names it. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

/** The public keys each issuer may sign with, as JWKs carrying `kid` and `alg`. */
export type TrustedKeys = Partial<Record<ServiceName, JWK[]>>;

const SERVICES = ['payment', 'order', 'notification'] as const satisfies readonly ServiceName[];

const kidSchema = v.pipe(v.string(), v.regex(ID_PATTERN, 'kid must be 1-128 id characters'));

// Only the two curve/alg pairs we allow; anything else (RSA, oct, P-384...) is refused at load.
const publicJwkSchema = v.variant('kty', [
  v.looseObject({
    kty: v.literal('EC'),
    crv: v.literal('P-256'),
    x: v.string(),
    y: v.string(),
    alg: v.literal('ES256'),
    kid: kidSchema,
  }),
  v.looseObject({
    kty: v.literal('OKP'),
    crv: v.literal('Ed25519'),
    x: v.string(),
    alg: v.literal('EdDSA'),
    kid: kidSchema,
  }),
]);

const privateJwkSchema = v.intersect([publicJwkSchema, v.looseObject({ d: v.string() })]);

const trustedKeysSchema = v.record(
  v.picklist(SERVICES),
  v.pipe(v.array(publicJwkSchema), v.minLength(1), v.maxLength(MAX_ACTIVE_KEYS_PER_ISSUER)),
);

/** valibot's issues as one line: each one's message, with where it is. */
function summary(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .map((issue) => {
      const at = v.getDotPath(issue);
      return at ? `${at}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** A key configuration that cannot be used; raised at cold start, never shown to a client. */
export class KeyConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyConfigurationError';
  }
}

function parseJson(text: string | unknown, what: string): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KeyConfigurationError(`${what} is not valid JSON`, { cause: error });
  }
}

/**
 * Reads a private JWK (JSON text or object) into a signing key. The JWK must
 * carry `kid` and `alg` (ES256 on P-256 or EdDSA on Ed25519).
 */
export async function loadSigningKey(source: string | unknown): Promise<SigningKey> {
  const parsed = v.safeParse(privateJwkSchema, parseJson(source, 'The signing key'));
  if (!parsed.success) {
    throw new KeyConfigurationError(
      `The signing key is not an ES256/EdDSA private JWK with kid and alg: ${summary(parsed.issues)}`,
    );
  }
  const jwk = parsed.output as JWK & { kid: string; alg: SigningAlgorithm };
  const key = (await importJWK(jwk, jwk.alg)) as CryptoKey;
  return { kid: jwk.kid, alg: jwk.alg, key };
}

/**
 * Parses the public keys each issuer may sign with (`{ "payment": [jwk, jwk] }`,
 * JSON text or object). Private members are refused: a verifier never holds a
 * private key, and a key published by mistake must not be trusted silently.
 */
export function parseTrustedKeys(source: string | unknown): TrustedKeys {
  const value = parseJson(source, 'The trusted keys');
  const parsed = v.safeParse(trustedKeysSchema, value);
  if (!parsed.success) {
    throw new KeyConfigurationError(`The trusted keys are invalid: ${summary(parsed.issues)}`);
  }
  for (const [issuer, keys] of Object.entries(parsed.output)) {
    for (const jwk of keys ?? []) {
      if ('d' in jwk) {
        throw new KeyConfigurationError(`A trusted key of ${issuer} (${jwk.kid}) is a private key`);
      }
    }
  }
  return parsed.output as TrustedKeys;
}
