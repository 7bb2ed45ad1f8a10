import { KeyObject, randomUUID, sign, type webcrypto } from 'node:crypto';
import { RefreshingValue } from '../cache/refreshing-value.js';
import type { TokenProvider } from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';
import { KEY_CACHE_SECONDS, KEY_EARLY_REFRESH_SECONDS } from './config.js';
import type { SigningAlgorithm, SigningKey } from './keys.js';

/** The longest life a service token may have (DESIGN.md: exp at most 5 minutes after iat). */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;

/** Options of {@link createTokenProvider}. */
export interface TokenProviderOptions {
  /** The calling service: the token's `iss`. */
  issuer: ServiceName;
  /**
   * The issuer's private key, or a loader for it (SSM): loaded on first use,
   * then again every `keyCacheSeconds`, so a rotated key is picked up.
   */
  signingKey: SigningKey | (() => Promise<SigningKey>);
  /** How long a loaded key is used before it is read again (default 300). */
  keyCacheSeconds?: number;
  /** Life of one token in seconds; default 120, at most {@link MAX_TOKEN_LIFETIME_SECONDS}. */
  ttlSeconds?: number;
  /** Epoch milliseconds; injected by tests. */
  clock?: () => number;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A compact JWS (RFC 7515) of `claims` signed with node:crypto: ES256 as
 * the raw 64-byte r||s that JWS requires (not DER), EdDSA on Ed25519.
 */
export function signJwt(
  claims: Record<string, unknown>,
  { alg, kid, key }: { alg: SigningAlgorithm; kid: string; key: KeyObject | webcrypto.CryptoKey },
): string {
  const input = `${base64url({ alg, kid, typ: 'JWT' })}.${base64url(claims)}`;
  const privateKey = key instanceof KeyObject ? key : KeyObject.from(key);
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

interface CachedToken {
  token: Promise<string>;
  issuedAt: number;
}

/**
 * Mints service-to-service JWTs: `iss` = this service, `aud` = the target,
 * `iat`, `exp` = iat + ttl, a fresh `jti` and the key's `kid` in the header.
 * A token is reused for the same audience for at most half its life, so what
 * a receiver sees always has at least half its life left (and stays valid
 * through a cached authorizer decision); then a new one is minted.
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const ttl = options.ttlSeconds ?? 120;
  if (!Number.isInteger(ttl) || ttl < 2 || ttl > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer from 2 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  const clock = options.clock ?? Date.now;
  const source = options.signingKey;
  // A failed reload (SSM throttled) keeps the previous key; a failed first load is retried.
  const loaded =
    typeof source === 'function'
      ? new RefreshingValue({
          load: source,
          maxAgeMs: (options.keyCacheSeconds ?? KEY_CACHE_SECONDS) * 1000,
          minIntervalMs: KEY_EARLY_REFRESH_SECONDS * 1000,
          now: clock,
        })
      : undefined;
  const key = () => (loaded ? loaded.get() : Promise.resolve(source as SigningKey));
  const cache = new Map<ServiceName, CachedToken>();

  const mint = async (audience: ServiceName, issuedAt: number): Promise<string> => {
    const signing = await key();
    return signJwt(
      {
        iss: options.issuer,
        aud: audience,
        iat: issuedAt,
        exp: issuedAt + ttl,
        jti: randomUUID(),
      },
      signing,
    );
  };

  return async (audience) => {
    const now = Math.floor(clock() / 1000);
    const cached = cache.get(audience);
    // Strictly less than half: at exactly half its life a token is replaced.
    if (cached && (now - cached.issuedAt) * 2 < ttl) return cached.token;
    const entry: CachedToken = { token: mint(audience, now), issuedAt: now };
    cache.set(audience, entry);
    entry.token.catch(() => {
      if (cache.get(audience) === entry) cache.delete(audience);
    });
    return entry.token;
  };
}
