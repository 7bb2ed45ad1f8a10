import { ssmParameterReader } from '../http/ssm.js';
import type { TokenProvider } from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';
import { keySourceFromEnv } from './config.js';
import { createTokenProvider } from './token-provider.js';

/**
 * The token provider of a function of `service`, configured from its
 * environment (call once per module, at the edge, and pass it to
 * `createInternalClient({ tokenProvider })`). The key is loaded on the first
 * call, not at import, so a cold start does not wait on SSM.
 */
export function serviceTokenProvider(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): TokenProvider {
  const keys = keySourceFromEnv(service, env, ssmParameterReader());
  return createTokenProvider({ issuer: service, signingKey: () => keys.signingKey(service) });
}
