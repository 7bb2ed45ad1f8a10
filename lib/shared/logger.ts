import { Logger } from '@aws-lambda-powertools/logger';

/** The three services, and the names they use in logs, metrics and tokens. */
export type ServiceName = 'payment' | 'order' | 'notification';

/**
 * Outcomes a log line can report. `refused`: the callee answered, with a 4xx
 * (our own contract said no); whether that is final is the caller's to say.
 */
export type Outcome =
  | 'success'
  | 'replayed'
  | 'skipped'
  | 'rejected'
  | 'refused'
  | 'failed'
  | 'retrying';

/** Business ids a log line may carry. */
export interface BusinessIds {
  transactionId?: string;
  orderId?: string;
  userId?: string;
  eventId?: string;
  idempotencyKey?: string;
}

/** Fields of one structured action line. */
export interface ActionLog extends BusinessIds {
  action: string;
  outcome: Outcome;
  durationMs?: number;
  error?: unknown;
  [key: string]: unknown;
}

/** A Powertools Logger for one service; level from POWERTOOLS_LOG_LEVEL. */
export function createLogger(service: ServiceName): Logger {
  return new Logger({ serviceName: service });
}

/**
 * Writes one JSON line for an action and its outcome: the single way handlers
 * and use cases report what they did. Failures log at error with the stack.
 */
export function logAction(logger: Logger, entry: ActionLog): void {
  const { error, outcome, action, ...rest } = entry;
  const message = `${action} ${outcome}`;
  const fields: Record<string, unknown> = { action, outcome, ...rest };
  if (outcome === 'failed') {
    // No `"error":"undefined"` when a failure has no error object to show.
    logger.error(
      message,
      error === undefined
        ? fields
        : { ...fields, error: error instanceof Error ? error : String(error) },
    );
  } else if (outcome === 'rejected' || outcome === 'refused' || outcome === 'retrying') {
    logger.warn(
      message,
      error === undefined
        ? fields
        : { ...fields, error: String((error as Error)?.message ?? error) },
    );
  } else {
    logger.info(message, fields);
  }
}
