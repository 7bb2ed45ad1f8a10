import type { Logger } from '@aws-lambda-powertools/logger';
import { headerValue } from '../shared/correlation.js';
import { isAppError } from '../shared/errors.js';
import { parseFaults } from '../shared/fault-injection.js';
import { json } from '../shared/http.js';
import type { InternalClient } from '../shared/internal-client.js';
import { logAction } from '../shared/logger.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { METRIC, type MetricName } from '../shared/observability.js';
import { parseInput } from '../shared/validation.js';
import type { IdempotentPay } from './idempotency.js';
import { createOrderGate } from './order-gate.js';
import { createEventDeliverer } from './outbox/deliverer.js';
import type { GatewayCallback, RequestContext } from './payment-context.js';
import { gatewayCallbackSchema, paymentPathSchema, paymentRequestSchema } from './schemas.js';
import type { PaymentResult } from './types.js';
import {
  isInvalidSignature,
  SIGNATURE_HEADER,
  verifyGatewaySignature,
} from './webhook-signature.js';

/** Collaborators of the payment routes, built once per cold start by the handler modules. */
export interface PaymentRouteDeps {
  logger: Logger;
  internalClient: InternalClient;
  /** True only in the local and test stages. */
  faultsEnabled: boolean;
  /** Counts a business metric (EMF); optional so tests need not care. */
  count?: (name: MetricName) => void;
}

/** What a payment's 503 OUTCOME_UNKNOWN (the function's deadline came first) tells the client. */
export const PAYMENT_TIMEOUT_MESSAGE =
  'The payment ran out of time before its outcome was known. Repeat the request with the same transactionId (it is never charged twice) or read GET /payments/{transactionId}';

/** Margin kept for the outbox writes after the last downstream call. */
const DEADLINE_MARGIN_MS = 1000;

/**
 * The most the fast path may spend delivering (retries included): the client
 * gets its answer quickly, and what is not delivered by then is the relay's.
 * A fast path that used the whole function time would hold the idempotency
 * key, and every retry would be a 409, for as long.
 */
export const FAST_PATH_BUDGET_MS = 5000;

/** When the fast path of a request must be done: its budget, or the function's time less a margin. */
export function fastPathDeadline(
  context: { getRemainingTimeInMillis(): number },
  now = Date.now(),
): number {
  return Math.min(
    now + FAST_PATH_BUDGET_MS,
    now + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
  );
}

/** POST /payments: validate, run the idempotent use case, answer its (possibly replayed) result. */
export function createPayRoute(deps: PaymentRouteDeps & { pay: IdempotentPay }): HttpRoute {
  return async (event, context, signal) => {
    const request = parseInput(paymentRequestSchema, event.jsonBody);
    deps.logger.appendKeys({
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
    });
    deps.pay.registerLambdaContext(context);
    const faults = parseFaults(event.headers, deps.faultsEnabled);
    const deliverer = createEventDeliverer(deps.internalClient, {
      faults,
      deadline: () => fastPathDeadline(context),
    });
    let result: Awaited<ReturnType<IdempotentPay>>;
    try {
      result = await deps.pay(request, {
        correlationId: event.correlationId,
        faults,
        deliverer,
        orders: createOrderGate(deps.internalClient),
        deadline: fastPathDeadline(context),
        signal,
      });
    } catch (error) {
      if (isAppError(error) && error.code.startsWith('IDEMPOTENCY_')) {
        deps.count?.(METRIC.idempotencyConflicts);
      }
      throw error;
    }
    if (result.replayed) deps.count?.(METRIC.paymentReplays);
    else {
      deps.count?.(METRIC.paymentsCreated);
      if ((result.body as { status?: string }).status === 'FAILED')
        deps.count?.(METRIC.chargesDeclined);
    }
    return json(
      result.statusCode,
      result.body,
      result.replayed ? { 'Idempotent-Replayed': 'true' } : {},
    );
  };
}

/** POST /payments/callback: verify the signature over the raw body, then confirm at most once. */
export function createCallbackRoute(
  deps: PaymentRouteDeps & {
    /** The use case (gateway-callback.ts `confirmCallback`, its deps bound). */
    confirm: (callback: GatewayCallback, ctx: RequestContext) => Promise<PaymentResult>;
    /** The gateway's HMAC secret, or its loader (SSM in AWS; rejects with a 503 when missing). */
    secret: string | (() => Promise<string>);
    toleranceSeconds: number;
    clock?: () => Date;
  },
): HttpRoute {
  return async (event, context) => {
    const secret = typeof deps.secret === 'string' ? deps.secret : await deps.secret();
    // The signature covers the raw body: check it before trusting a single field.
    try {
      verifyGatewaySignature(headerValue(event.headers, SIGNATURE_HEADER), event.body ?? '', {
        secret,
        now: deps.clock?.() ?? new Date(),
        toleranceSeconds: deps.toleranceSeconds,
      });
    } catch (error) {
      // Which check failed is ours to know: the caller gets one answer for all.
      if (isInvalidSignature(error)) {
        logAction(deps.logger, {
          action: 'payment.callback.signature',
          outcome: 'rejected',
          reason: error.reason,
        });
      }
      throw error;
    }
    const callback = parseInput(gatewayCallbackSchema, event.jsonBody);
    deps.logger.appendKeys({ transactionId: callback.transactionId });
    const faults = parseFaults(event.headers, deps.faultsEnabled);
    const deliverer = createEventDeliverer(deps.internalClient, {
      faults,
      deadline: () => fastPathDeadline(context),
    });
    const result = await deps.confirm(callback, {
      correlationId: event.correlationId,
      faults,
      deliverer,
    });
    if (result.body.contradicted) deps.count?.(METRIC.callbackContradictions);
    return json(result.statusCode, result.body);
  };
}

/** GET /payments/{transactionId}. */
export function createGetRoute(deps: {
  /** The use case (view.ts `viewPayment`, its deps bound). */
  view: (transactionId: string) => Promise<Record<string, unknown>>;
}): HttpRoute {
  return async (event) => {
    const { transactionId } = parseInput(paymentPathSchema, event.pathParameters ?? {}, 'path');
    return json(200, await deps.view(transactionId));
  };
}
