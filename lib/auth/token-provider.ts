import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { RefreshingValue } from '../cache/refreshing-value.js';
import type { TokenProvider } from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';
import { KEY_CACHE_SECONDS, KEY_EARLY_REFRESH_SECONDS } from './config.js';
import type { SigningKey } from './keys.js';

/** The longest life a service token may have (docs/design.md: exp at most 5 minutes after iat). */
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
    const { kid, alg, key: privateKey } = await key();
    return new SignJWT({})
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
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
