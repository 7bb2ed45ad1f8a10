import { sendNotification } from '../../lib/notification/notification-service.js';
import { sendNotificationSchema, toNotificationView } from '../../lib/notification/schemas.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { logger, notificationDeps, observability } from './dependencies.js';

/** POST /notifications (internal): send at most once per userId + message. */
export const handler = httpHandler({ observability, body: { maxBytes: 8192 } }, async (event) => {
  const input = parseInput(sendNotificationSchema, event.jsonBody);
  observability.tag({ userId: input.userId, eventId: input.eventId });
  const { status, record } = await sendNotification(notificationDeps, input, {
    correlationId: event.correlationId,
    caller: event.caller?.caller ?? 'unknown',
  });
  logAction(logger, {
    action: 'notification.send',
    outcome: status === 'SENT' ? 'success' : 'skipped',
    userId: input.userId,
    eventId: input.eventId,
    notificationId: record.notificationId,
    reason: record.reason,
    originalNotificationId: record.originalNotificationId,
  });
  return json(status === 'SENT' ? 201 : 200, toNotificationView(record));
});
