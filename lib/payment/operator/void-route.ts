import type { Logger } from '@aws-lambda-powertools/logger';
import * as v from 'valibot';
import { ConflictError } from '../../shared/errors.js';
import { json } from '../../shared/http.js';
import { logAction } from '../../shared/logger.js';
import type { HttpRoute } from '../../shared/middleware/types.js';
import { operatorOf } from '../../shared/operator.js';
import { idSchema, parseInput } from '../../shared/validation.js';
import type { VoidResult } from '../payment-context.js';

/** Path of `POST /payments/{transactionId}/void`. */
const voidPathSchema = v.object({ transactionId: idSchema });

/**
 * POST /payments/{transactionId}/void (operator): releases an order held by a
 * payment stuck PENDING, without waiting for the reconciler. The payment's key
 * is voided at the gateway first (it can never charge afterwards), then the
 * payment fails as `voided` and its order event frees the order (the order's
 * history records it). A payment that charged is a 409 `PAYMENT_CHARGED`:
 * its result stands and ends the hold. Logged with the operator who asked.
 */
export function createVoidRoute(deps: {
  /** The use case (recover.ts `voidPending`, its deps bound). */
  voidPending: (transactionId: string) => Promise<VoidResult>;
  logger: Logger;
}): HttpRoute {
  return async (event) => {
    const { transactionId } = parseInput(voidPathSchema, event.pathParameters ?? {}, 'path');
    const operator = operatorOf(event);
    const result = await deps.voidPending(transactionId);
    logAction(deps.logger, {
      action: 'payment.void',
      outcome: result.voided ? 'success' : 'skipped',
      transactionId,
      operator,
      state: result.state,
      reason: result.voided ? 'voided by an operator' : 'the charge already had a result',
    });
    if (result.state === 'SUCCEEDED') {
      throw new ConflictError(
        'PAYMENT_CHARGED',
        `Payment ${transactionId} charged at the gateway; it cannot be voided, and its result ends the hold`,
        { details: [{ field: 'transactionId', issue: 'charged at the gateway' }] },
      );
    }
    return json(200, { transactionId, voided: result.voided, status: result.status, operator });
  };
}
