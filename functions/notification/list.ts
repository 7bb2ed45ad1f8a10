import { listNotifications } from '../../lib/notification/notification-service.js';
import { listNotificationsSchema, toNotificationView } from '../../lib/notification/schemas.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { logger, observability, repository } from './dependencies.js';

/** GET /notifications?userId=&limit=&cursor=: what was sent and skipped, newest first. */
export const handler = httpHandler({ observability }, async (event) => {
  const query = parseInput(listNotificationsSchema, event.queryStringParameters ?? {}, 'query');
  observability.tag({ userId: query.userId });
  const page = await listNotifications(repository, {
    userId: query.userId,
    limit: query.limit ?? 20,
    cursor: query.cursor,
  });
  logAction(logger, {
    action: 'notification.list',
    outcome: 'success',
    userId: query.userId,
    items: page.items.length,
  });
  return json(200, {
    userId: query.userId,
    items: page.items.map(toNotificationView),
    nextCursor: page.nextCursor ?? null,
  });
});
