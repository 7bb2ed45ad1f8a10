import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { ConflictError, isAppError, UnprocessableError } from '../shared/errors.js';
import type { RequestContext } from './payment-context.js';
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
  const store = options.persistenceStore;
  const wrapped = makeIdempotent(pay, {
    persistenceStore: store,
    config,
    keyPrefix: PAYMENT_IDEMPOTENCY_PREFIX,
    dataIndexArgument: 0,
  });
  const run = async (request: PaymentRequest, ctx: RequestContext) => {
    try {
      return await wrapped(request, ctx);
    } catch (error) {
      const expiresAt = isInProgress(error) ? await inProgressExpiry(store, request) : undefined;
      throw toIdempotencyError(error, { inProgressExpiresAt: expiresAt });
    }
  };
  return Object.assign(run, {
    registerLambdaContext: (context: Context) => config.registerLambdaContext(context),
  });
}

function isInProgress(error: unknown): boolean {
  return error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError';
}

/**
 * When the request holding the key stops holding it: its record's in-progress
 * expiry (epoch ms, the holder's deadline). Powertools does not put the record
 * on the error, so it is read again; undefined when it is gone (finished).
 */
async function inProgressExpiry(
  store: BasePersistenceLayer,
  request: PaymentRequest,
): Promise<number | undefined> {
  try {
    const record = await store.getRecord(request as unknown as JSONValue);
    return record.inProgressExpiryTimestamp;
  } catch {
    return undefined;
  }
}

/**
 * Seconds a client should wait before retrying a key in progress: until the
 * holder's in-progress expiry (rounded up, at least 1 s); 1 s when unknown.
 */
export function inProgressRetryAfterSeconds(
  inProgressExpiresAt: number | undefined,
  now = Date.now(),
): number {
  if (inProgressExpiresAt === undefined) return 1;
  return Math.max(1, Math.ceil((inProgressExpiresAt - now) / 1000));
}

/**
 * Maps Powertools' idempotency errors to ours (by name, so two copies of the
 * package still match). A key in progress is a 409 whose Retry-After is the
 * rest of the holder's time (`inProgressExpiresAt`, epoch ms).
 */
export function toIdempotencyError(
  error: unknown,
  options: { inProgressExpiresAt?: number; now?: number } = {},
): unknown {
  if (isAppError(error) || !(error instanceof Error)) return error;
  if (isInProgress(error)) {
    const seconds = inProgressRetryAfterSeconds(options.inProgressExpiresAt, options.now);
    return new ConflictError(
      'IDEMPOTENCY_IN_PROGRESS',
      'A request with this transactionId is still being processed; retry later',
      { headers: { 'Retry-After': String(seconds) }, cause: error },
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
