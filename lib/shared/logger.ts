import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

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
  /**
   * A success that other lines already tell (a call the callee logs itself,
   * a delivery its event's status records): written at DEBUG, so INFO keeps
   * the lines the design asks for (docs/deploy.md, "Capacity and bill").
   * Anything but a success is written as usual.
   */
  detail?: boolean;
  [key: string]: unknown;
}

/**
 * Powertools' line, less what CloudWatch Logs would bill for nothing: the
 * function's ARN (its log group and `function_name` say it), its memory size
 * and the debug sampling rate (both in the template), and the `message` of an
 * action line (its `action` and `outcome` say it). About 180 of ~650 bytes a
 * line in AWS (docs/deploy.md, "Capacity and bill"). Everything the design
 * asks of a line stays: timestamp, level, service, function, cold start,
 * correlation id, action, outcome, the business ids, the X-Ray trace id.
 */
export class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const named = typeof additional.action === 'string';
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        ...(named ? {} : { message: attributes.message }),
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

/** A Powertools Logger for one service; level from POWERTOOLS_LOG_LEVEL. */
export function createLogger(service: ServiceName): Logger {
  return new Logger({ serviceName: service, logFormatter: new CompactLogFormatter() });
}

/**
 * Writes one JSON line for an action and its outcome: the single way handlers
 * and use cases report what they did. Failures log at error with the stack.
 */
export function logAction(logger: Logger, entry: ActionLog): void {
  const { error, outcome, action, detail, ...rest } = entry;
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
  } else if (detail && outcome === 'success') {
    logger.debug(message, fields);
  } else {
    logger.info(message, fields);
  }
}
