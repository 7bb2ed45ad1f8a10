import type { ParameterReader } from '../http/ssm.js';
import type { ServiceName } from '../shared/logger.js';
import { type KeySource, ssmKeySource, staticKeySource } from './key-source.js';

/**
 * How long a key read from SSM is used before it is read again: bounds how
 * long a rotation takes to be seen (docs/security.md: rotating a key).
 */
export const KEY_CACHE_SECONDS = 300;

/**
 * The least time between two early reloads of the trusted keys, which a
 * token signed with a `kid` we do not know triggers: a flood of made-up
 * `kid`s costs at most one SSM read per this many seconds per container.
 */
export const KEY_EARLY_REFRESH_SECONDS = 10;

/** Environment variables that configure service keys (read once, at the edge). */
export const AUTH_ENV = {
  /** When set, keys come from SSM Parameter Store under this path, e.g. `/lambda-payments/prod/auth`. */
  ssmPrefix: 'AUTH_KEYS_SSM_PREFIX',
  /** Otherwise: this function's service's private JWK (JSON). */
  signingKey: 'AUTH_SIGNING_KEY',
  /** Otherwise: `{ "payment": [public JWK, ...] }` (JSON), for verifiers. */
  trustedKeys: 'AUTH_TRUSTED_KEYS',
  /** Clock skew tolerated by verifiers, in seconds. */
  clockTolerance: 'AUTH_CLOCK_TOLERANCE_SECONDS',
} as const;

/**
 * The key source of a function of `service`. The rule: if AUTH_KEYS_SSM_PREFIX
 * is set, every key comes from SSM (through `readParameter`, the SSM
 * adapter, uncached: the token provider and verifier keep what they read for
 * {@link KEY_CACHE_SECONDS}); else from AUTH_SIGNING_KEY / AUTH_TRUSTED_KEYS,
 * which only local and test stages set.
 */
export function keySourceFromEnv(
  service: ServiceName,
  env: NodeJS.ProcessEnv,
  readParameter: ParameterReader,
): KeySource {
  const prefix = env[AUTH_ENV.ssmPrefix];
  if (prefix) return ssmKeySource(prefix, readParameter);
  return staticKeySource({
    signingKeys: env[AUTH_ENV.signingKey] ? { [service]: env[AUTH_ENV.signingKey] } : {},
    trustedKeys: env[AUTH_ENV.trustedKeys],
  });
}
