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
 * Decides one internal call: `Authorization: Bearer <JWT>` (looked up
 * case-insensitively: serverless-offline keeps header case) verified for the
 * event's route key. Never throws: API Gateway answers 500 for an authorizer
 * error, so every failure is a deny (403). A missing header never gets here
 * (API Gateway and offline answer 401 themselves).
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
    } else {
      // Keys could not be loaded (SSM down, bad configuration): deny, loudly.
      logAction(logger, { action: 'auth.verify', outcome: 'failed', routeKey, error });
    }
    return DENY;
  }
}
