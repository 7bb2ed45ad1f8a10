import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { headerValue } from '../shared/correlation.js';
import { logAction } from '../shared/logger.js';
import { isTokenRejectedError, type TokenVerifier } from './token-verifier.js';

/** What API Gateway copies to `requestContext.authorizer.lambda` of the handler's event. */
export interface AuthorizerContext {
  [key: string]: string;
  caller: string;
  jti: string;
}

/** The authorizer's simple response (payload 2.0). */
export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

// A real token is well under 1 KB; anything far larger is not worth parsing.
const MAX_HEADER_LENGTH = 4096;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

const DENY: AuthorizerResult = { isAuthorized: false, context: { caller: '', jti: '' } };

/**
 * The authorizer could not check a token (keys not loadable: SSM throttled or
 * down, a parameter missing). Thrown out of the function on purpose: API
 * Gateway answers 500 and caches nothing, so the caller retries a server
 * error, instead of a 403 that would be cached for every call with the token.
 */
export class AuthorizerUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The service token could not be checked: keys unavailable', options);
    this.name = 'AuthorizerUnavailableError';
  }
}

/**
 * Decides one internal call: `Authorization: Bearer <JWT>` (looked up
 * case-insensitively: serverless-offline keeps header case) verified for the
 * event's route key. A token that does not grant the call is a deny (403). A
 * token that could not be checked (keys unavailable) is an
 * {@link AuthorizerUnavailableError}, logged at error and thrown: API Gateway
 * answers 500 and caches no decision. A missing header never gets here (API
 * Gateway and offline answer 401 themselves).
 */
export async function authorizeInternalCall(
  event: Pick<APIGatewayRequestAuthorizerEventV2, 'headers' | 'routeKey'>,
  verifier: TokenVerifier,
  logger: Logger,
): Promise<AuthorizerResult> {
  const routeKey = event.routeKey;
  const header = headerValue(event.headers, 'authorization');
  const token = header && header.length <= MAX_HEADER_LENGTH ? BEARER.exec(header)?.[1] : undefined;
  if (!token) {
    logAction(logger, {
      action: 'auth.verify',
      outcome: 'rejected',
      routeKey,
      reason: 'no-bearer',
    });
    return DENY;
  }
  try {
    const verified = await verifier.verify(token, routeKey);
    logAction(logger, {
      action: 'auth.verify',
      outcome: 'success',
      routeKey,
      caller: verified.caller,
      jti: verified.jti,
      kid: verified.kid,
    });
    return { isAuthorized: true, context: { caller: verified.caller, jti: verified.jti } };
  } catch (error) {
    if (isTokenRejectedError(error)) {
      logAction(logger, {
        action: 'auth.verify',
        outcome: 'rejected',
        routeKey,
        reason: error.reason,
        error: error.message,
      });
      return DENY;
    }
    // Keys could not be loaded (SSM throttled or down, a parameter missing):
    // not the caller's fault, and not a decision anyone may cache.
    logAction(logger, { action: 'auth.verify', outcome: 'failed', routeKey, error });
    throw new AuthorizerUnavailableError({ cause: error });
  }
}
