import type { Logger } from '@aws-lambda-powertools/logger';
import { logAction } from '../shared/logger.js';
import type { OutboxEvent, OutboxStore } from './types.js';

/** Who asks for a re-drive, and what. */
export interface RedriveRequest {
  transactionId: string;
  /** One event; absent: every DEAD event of the payment. */
  eventId?: string;
  /** The operator who asked (the console's route); absent from `npm run redrive` / `sls invoke`. */
  operator?: string;
}

/**
 * The operator's re-drive, whichever way it comes (the console's `POST
 * /payments/{id}/redrive` or the relay function invoked with `{ redrive }`):
 * a payment's DEAD events (or one of them) back to PENDING, attempts reset,
 * for the relay's next run; one `outbox.redrive` line says what it did.
 */
export async function redriveEvents(
  deps: { outbox: Pick<OutboxStore, 'redrive'>; logger: Logger },
  request: RedriveRequest,
): Promise<OutboxEvent[]> {
  const { transactionId, eventId, operator } = request;
  const events = await deps.outbox.redrive(transactionId, eventId);
  logAction(deps.logger, {
    action: 'outbox.redrive',
    outcome: events.length > 0 ? 'success' : 'skipped',
    transactionId,
    eventId,
    ...(operator !== undefined && { operator }),
    events: events.map((e) => e.eventId),
  });
  return events;
}
