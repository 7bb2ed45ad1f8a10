import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { type AuthorizerResult, authorizeInternalCall } from '../../lib/auth/authorizer.js';
import { AUTH_ENV, keySourceFromEnv } from '../../lib/auth/config.js';
import { INTERNAL_ROUTES, trustedIssuers } from '../../lib/auth/route-policy.js';
import { createTokenVerifier } from '../../lib/auth/token-verifier.js';
import { ssmParameterReader } from '../../lib/http/ssm.js';
import { envInt } from '../../lib/shared/config.js';
import { logAction } from '../../lib/shared/logger.js';

// The authorizer belongs to no one service: it logs under its own name.
const logger = new Logger({ serviceName: 'internal-authorizer' });

const keys = keySourceFromEnv('order', process.env, ssmParameterReader());
const verifier = createTokenVerifier({
  routes: INTERNAL_ROUTES,
  trustedKeys: () => keys.trustedKeys(trustedIssuers(INTERNAL_ROUTES)),
  clockToleranceSeconds: envInt(AUTH_ENV.clockTolerance, 5),
  onKeyLoadError: (error) =>
    logAction(logger, { action: 'auth.keys.reload', outcome: 'retrying', error }),
});

/**
 * Lambda request authorizer `internalJwt` (HTTP API, payload 2.0, simple
 * responses): lets a call through only with a valid service token for its
 * route, and hands the verified caller to the handler. When it cannot check
 * the token (keys unavailable) it throws: API Gateway answers 500, which the
 * caller retries, and caches no deny.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<AuthorizerResult> => authorizeInternalCall(event, verifier, logger);
