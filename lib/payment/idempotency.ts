import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { ConflictError, isAppError, UnprocessableError } from '../shared/errors.js';
import type { RequestContext } from './payment-service.js';
import type { PaymentRequest, PaymentResult } from './types.js';

/** Key prefix of payment-creation records: explicit, so renaming the function orphans nothing. */
export const PAYMENT_IDEMPOTENCY_PREFIX = 'payment.create';

/** Options of {@link idempotentPay}. */
export interface IdempotentPayOptions {
  /** One persistence layer per configuration (a shared one silently keeps the first config). */
  persistenceStore: BasePersistenceLayer;
  /** How long a result is replayed (default 24 h). */
  expiresAfterSeconds?: number;
}

/** The use case made idempotent on transactionId; call `registerLambdaContext` once per invocation. */
export interface IdempotentPay {
  (request: PaymentRequest, ctx: RequestContext): Promise<PaymentResult>;
  registerLambdaContext(context: Context): void;
}

/**
 * Wraps `pay` with Powertools idempotency: keyed by `transactionId`, the whole
 * payload validated (a reused key with another payload is a 422), the result
 * (HTTP status and body) stored and replayed with `replayed: true` set by the
 * response hook, which Powertools calls only for a stored result. A thrown
 * error deletes the in-progress record, so a failure before the charge never
 * leaves the key stuck.
 */
export function idempotentPay(
  pay: (request: PaymentRequest, ctx: RequestContext) => Promise<PaymentResult>,
  options: IdempotentPayOptions,
): IdempotentPay {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'transactionId',
    payloadValidationJmesPath: '[transactionId, orderId, userId, amountMinor, currency]',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
    responseHook: (response) => ({ ...(response as Record<string, JSONValue>), replayed: true }),
  });
  const wrapped = makeIdempotent(pay, {
    persistenceStore: options.persistenceStore,
    config,
    keyPrefix: PAYMENT_IDEMPOTENCY_PREFIX,
    dataIndexArgument: 0,
  });
  const run = async (request: PaymentRequest, ctx: RequestContext) => {
    try {
      return await wrapped(request, ctx);
    } catch (error) {
      throw toIdempotencyError(error);
    }
  };
  return Object.assign(run, {
    registerLambdaContext: (context: Context) => config.registerLambdaContext(context),
  });
}

/** Maps Powertools' idempotency errors to ours (by name, so two copies of the package still match). */
export function toIdempotencyError(error: unknown): unknown {
  if (isAppError(error) || !(error instanceof Error)) return error;
  if (error.name === 'IdempotencyAlreadyInProgressError') {
    return new ConflictError(
      'IDEMPOTENCY_IN_PROGRESS',
      'A request with this transactionId is still being processed; retry later',
      { headers: { 'Retry-After': '1' }, cause: error },
    );
  }
  if (error.name === 'IdempotencyValidationError') {
    return new UnprocessableError(
      'IDEMPOTENCY_KEY_REUSED',
      'This transactionId was already used with a different payload',
      { cause: error },
    );
  }
  return error;
}
