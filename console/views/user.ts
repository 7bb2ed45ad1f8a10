import { get, seg } from '../api.js';
import { badge, h, link, section, table, time } from '../dom.js';
import type { View } from '../view.js';

/** #/users/<userId>: what the notification service sent the user, and what it skipped and why. */
export const userView: View = async ({ segments }) => {
  const userId = segments[0] ?? '';
  const page = await get<any>(`/notifications?userId=${seg(userId)}&limit=50`);
  return {
    title: `User ${userId}`,
    node: section(
      'user-notifications',
      ['Notifications, newest first'],
      table(
        `Notifications to ${userId}`,
        ['Created', 'Status', 'Message', 'Event', 'Reason', 'Request'],
        (page.items ?? []).map((n: any) => [
          time(n.createdAt),
          badge(n.status),
          n.message,
          n.eventId ? h('code', {}, n.eventId) : '',
          n.reason ?? '',
          n.correlationId ? link.trace(n.correlationId, 'timeline') : '',
        ]),
      ),
    ),
  };
};
