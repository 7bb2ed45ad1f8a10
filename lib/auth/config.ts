import type { ServiceName } from '../shared/logger.js';
import {
  type KeySource,
  type ParameterReader,
  ssmKeySource,
  staticKeySource,
} from './key-source.js';

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
 * is set, every key comes from SSM (through `readParameter`, the Powertools
 * provider with its cache); else from AUTH_SIGNING_KEY / AUTH_TRUSTED_KEYS,
 * which only local and test stages set.
 */
export function keySourceFromEnv(
  service: ServiceName,
  env: NodeJS.ProcessEnv,
  readParameter: () => Promise<ParameterReader>,
): KeySource {
  const prefix = env[AUTH_ENV.ssmPrefix];
  if (prefix) {
    let reader: Promise<ParameterReader> | undefined;
    return ssmKeySource(prefix, async (name, options) => {
      reader ??= readParameter();
      return (await reader)(name, options);
    });
  }
  return staticKeySource({
    signingKeys: env[AUTH_ENV.signingKey] ? { [service]: env[AUTH_ENV.signingKey] } : {},
    trustedKeys: env[AUTH_ENV.trustedKeys],
  });
}
