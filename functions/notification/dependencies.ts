import { TableOutboxChannel } from '../../lib/notification/channel.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import {
  DEFAULT_LEASE_SECONDS,
  type NotificationServiceDeps,
} from '../../lib/notification/notification-service.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createObservability } from '../../lib/shared/observability.js';

// Configuration is read once, here, per container.
const { doc } = dynamoFromEnv();
const table = requireEnv('NOTIFICATIONS_TABLE');

/** The notification service's logger, tracer and metrics. */
export const observability = createObservability('notification');

/** The notification service's logger. */
export const logger = observability.logger;

/** The notification store. */
export const repository = new DynamoNotificationRepository({ doc, table });

/** Collaborators of sendNotification: the local channel (an SNS/SES adapter in a real deployment). */
export const notificationDeps: NotificationServiceDeps = {
  repository,
  channel: new TableOutboxChannel({ doc, table }),
  dedupeWindowSeconds: envInt('NOTIFICATION_DEDUPE_WINDOW_SECONDS', 0),
  leaseSeconds: envInt('NOTIFICATION_LEASE_SECONDS', DEFAULT_LEASE_SECONDS),
};
