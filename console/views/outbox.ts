import { get } from '../api.js';
import { facts, h, link, section, table, time } from '../dom.js';
import { OVERVIEW_POLL_MS, type View } from '../view.js';
import { redriveButton } from './redrive.js';

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** #/outbox: counts by status, the oldest PENDING event, the DEAD list with re-drive, charges in flight. */
export const outboxView: View = async (_params, { refresh }) => {
  const health = await get<any>('/outbox');
  const counts = health.counts;
  return {
    title: 'Outbox health',
    node: h(
      'div',
      { class: 'sections' },
      section(
        'outbox-counts',
        'Events by status',
        h(
          'ul',
          { class: 'tiles' },
          h(
            'li',
            { class: counts.PENDING > 0 ? 'tile tone-wait' : 'tile' },
            h('strong', {}, String(counts.PENDING)),
            ' PENDING',
          ),
          h(
            'li',
            { class: counts.DEAD > 0 ? 'tile tone-bad' : 'tile' },
            h('strong', {}, String(counts.DEAD)),
            ' DEAD',
          ),
          h(
            'li',
            { class: 'tile' },
            h('strong', {}, String(counts.DELIVERED_LAST_HOUR)),
            ' DELIVERED in the last hour',
          ),
        ),
        facts([
          [
            'Oldest PENDING',
            health.oldestPending
              ? [
                  age(health.oldestPending.ageSeconds),
                  ' old (',
                  link.payment(health.oldestPending.transactionId),
                  ')',
                ]
              : 'none',
          ],
          ['Counts capped', health.capped ? 'yes: the backlog is larger than shown' : undefined],
          ['As of', time(health.at)],
        ]),
      ),
      section(
        'outbox-dead',
        'DEAD events',
        table(
          'Events parked as DEAD',
          ['Created', 'Payment', 'Event', 'Attempts', 'Last error', 'Action'],
          (health.dead ?? []).map((e: any) => [
            time(e.createdAt),
            link.payment(e.transactionId),
            h('span', {}, `${e.type} → ${e.target}`, h('br'), h('code', {}, e.eventId)),
            String(e.attempts),
            e.lastError ?? '',
            redriveButton(e.transactionId, e, refresh),
          ]),
        ),
      ),
      section(
        'outbox-charges',
        'Charges waiting for the reconciler',
        table(
          'Charges whose payment is not final, or whose events are not yet delivered or in the outbox; oldest first',
          ['Charged', 'Age', 'Payment'],
          (health.unfinalizedCharges ?? []).map((c: any) => [
            time(c.createdAt),
            age(c.ageSeconds),
            link.payment(c.transactionId),
          ]),
        ),
      ),
    ),
    pollMs: OVERVIEW_POLL_MS,
  };
};
