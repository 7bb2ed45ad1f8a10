import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { RefreshingValue } from '../cache/refreshing-value.js';
import type { ServiceName } from '../shared/logger.js';
import { ID_PATTERN } from '../shared/validation.js';
import { KEY_CACHE_SECONDS, KEY_EARLY_REFRESH_SECONDS } from './config.js';
import { ALLOWED_ALGORITHMS, type SigningAlgorithm, type TrustedKeys } from './keys.js';
import type { RoutePolicy } from './route-policy.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from './token-provider.js';

/** Why a token was refused; logged, never sent to the caller. */
export type RejectionReason =
  | 'unknown-route'
  | 'malformed'
  | 'unsupported-alg'
  | 'missing-kid'
  | 'caller-not-allowed'
  | 'unknown-key'
  | 'bad-signature'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'lifetime-too-long'
  | 'missing-claim';

/** A token that does not grant the call. */
export class TokenRejectedError extends Error {
  readonly reason: RejectionReason;

  constructor(reason: RejectionReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}

/** Type guard that survives two copies of this module. */
export function isTokenRejectedError(error: unknown): error is TokenRejectedError {
  return error instanceof Error && error.name === 'TokenRejectedError' && 'reason' in error;
}

/** The identity a valid token proves. */
export interface VerifiedCaller {
  /** The calling service (`iss`). */
  caller: ServiceName;
  /** The token's unique id (`jti`). */
  jti: string;
  /** The key that signed it (`kid`), for rotation audits. */
  kid: string;
}

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /**
   * Public keys per issuer, or a loader (SSM): its keys are used for
   * `keyCacheSeconds`, then loaded again; a token with an unknown `kid`
   * loads them early, at most once per `earlyRefreshSeconds`.
   */
  trustedKeys: TrustedKeys | (() => Promise<TrustedKeys>);
  /** How long loaded keys are used before they are read again (default 300). */
  keyCacheSeconds?: number;
  /** The least time between two early reloads for an unknown `kid` (default 10). */
  earlyRefreshSeconds?: number;
  /** Told when a reload fails while the previous keys are still used (to log it). */
  onKeyLoadError?: (error: unknown) => void;
  /** Internal routes by route key. */
  routes: Readonly<Record<string, RoutePolicy>>;
  /** Tolerated clock difference between services, in seconds (default 5). */
  clockToleranceSeconds?: number;
  /** Epoch milliseconds; injected by tests. */
  clock?: () => number;
}

/** Verifies the bearer token of one call to one internal route. */
export interface TokenVerifier {
  verify(token: string, routeKey: string): Promise<VerifiedCaller>;
}

const ALGORITHMS: readonly string[] = ALLOWED_ALGORITHMS;

/**
 * Builds the verifier the authorizer uses. In order: the route must be
 * internal; the header's `alg` must be ES256 or EdDSA (so `none` and HS256
 * with a public key as secret never reach a signature check) and carry a
 * `kid`; the claimed `iss` must be one of the route's callers and the `kid`
 * one of that issuer's keys; then jose checks the signature, `iss`, `aud`
 * (the route's service), `exp`/`nbf`/`iat` within the tolerance; finally
 * `exp - iat` must be at most 300 s and `jti` an id.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const tolerance = options.clockToleranceSeconds ?? 5;
  const clock = options.clock ?? Date.now;
  const source = options.trustedKeys;
  const keys =
    typeof source === 'function'
      ? new RefreshingValue({
          load: source,
          maxAgeMs: (options.keyCacheSeconds ?? KEY_CACHE_SECONDS) * 1000,
          minIntervalMs: (options.earlyRefreshSeconds ?? KEY_EARLY_REFRESH_SECONDS) * 1000,
          now: clock,
          onError: (error, stale) => {
            if (stale) options.onKeyLoadError?.(error);
          },
        })
      : undefined;
  const trusted = () => (keys ? keys.get() : Promise.resolve(source as TrustedKeys));
  const imported = new Map<string, Promise<CryptoKey>>();
  const importKey = (issuer: ServiceName, jwk: JWK & { kid: string }, alg: SigningAlgorithm) => {
    const id = `${issuer}/${jwk.kid}/${alg}`;
    let key = imported.get(id);
    if (!key) {
      key = importJWK(jwk, alg) as Promise<CryptoKey>;
      imported.set(id, key);
    }
    return key;
  };

  return {
    async verify(token, routeKey) {
      const policy = options.routes[routeKey];
      if (!policy) throw new TokenRejectedError('unknown-route', `${routeKey} is not internal`);

      let header: ReturnType<typeof decodeProtectedHeader>;
      let claims: ReturnType<typeof decodeJwt>;
      try {
        header = decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch (error) {
        throw new TokenRejectedError('malformed', 'The token is not a JWT', { cause: error });
      }
      const alg = header.alg;
      if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) {
        throw new TokenRejectedError('unsupported-alg', `alg ${String(alg)} is not allowed`);
      }
      if (typeof header.kid !== 'string') {
        throw new TokenRejectedError('missing-kid', 'The token has no kid');
      }
      const issuer = claims.iss as ServiceName | undefined;
      if (typeof issuer !== 'string' || !policy.callers.includes(issuer)) {
        throw new TokenRejectedError(
          'caller-not-allowed',
          `${String(issuer)} may not call ${routeKey}`,
        );
      }
      const find = (set: TrustedKeys) =>
        set[issuer]?.find((k) => k.kid === header.kid && k.alg === alg);
      let jwk = find(await trusted());
      // A kid we do not know may be a rotation we have not seen yet: look once more.
      if (!jwk && keys && (await keys.refresh())) jwk = find(await trusted());
      if (!jwk) {
        throw new TokenRejectedError('unknown-key', `No ${alg} key ${header.kid} for ${issuer}`);
      }

      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        const result = await jwtVerify(
          token,
          await importKey(issuer, jwk as JWK & { kid: string }, alg as SigningAlgorithm),
          {
            algorithms: [alg],
            issuer,
            audience: policy.audience,
            clockTolerance: tolerance,
            maxTokenAge: MAX_TOKEN_LIFETIME_SECONDS,
            requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
            currentDate: new Date(clock()),
          },
        );
        payload = result.payload;
      } catch (error) {
        throw fromJoseError(error);
      }

      // jose accepts an `aud` array that merely contains the audience: a token
      // addressed to several services would open each of them. Exactly one.
      if (payload.aud !== policy.audience) {
        throw new TokenRejectedError('wrong-audience', 'aud must be exactly the target service');
      }
      const { iat, exp, jti } = payload as { iat: number; exp: number; jti: unknown };
      if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) {
        throw new TokenRejectedError('lifetime-too-long', `exp - iat is ${exp - iat} s`);
      }
      if (typeof jti !== 'string' || !ID_PATTERN.test(jti)) {
        throw new TokenRejectedError('missing-claim', 'jti must be an id');
      }
      return { caller: issuer, jti, kid: header.kid };
    },
  };
}

/** Maps jose's errors (by their stable `code`) to a rejection reason. */
function fromJoseError(error: unknown): TokenRejectedError {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  const message = error instanceof Error ? error.message : String(error);
  const reject = (why: RejectionReason) => new TokenRejectedError(why, message, { cause: error });
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return reject('bad-signature');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return reject('unsupported-alg');
    case 'ERR_JWT_EXPIRED':
      // jose also reports a too-old iat (maxTokenAge) as expired.
      return reject('expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return reject('missing-claim');
      if (claim === 'aud') return reject('wrong-audience');
      if (claim === 'iss') return reject('wrong-issuer');
      if (claim === 'nbf') return reject('not-yet-valid');
      if (claim === 'iat') return reject('issued-in-future');
      return reject('malformed');
    default:
      return reject('malformed');
  }
}
