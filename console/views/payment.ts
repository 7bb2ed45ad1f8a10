import { find, get, seg } from '../api.js';
import { badge, errorBox, facts, h, link, money, section, table, time } from '../dom.js';
import { IN_FLIGHT_POLL_MS, type View } from '../view.js';
import { historyTable } from './order.js';
import { redriveButton } from './redrive.js';
import { voidButton } from './void.js';

interface EventView {
  eventId: string;
  type: string;
  target: string;
  status: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  deliveredAt?: string;
}

/**
 * The window of a payment's own lines: from a minute before it was created to
 * a minute after its last event moved (or now, while one is PENDING), on the
 * payment's path only. It bounds the Logs Insights lookup in AWS.
 */
function paymentWindow(payment: any, events: EventView[]): Record<string, string> {
  const minute = 60_000;
  const created = Date.parse(payment.createdAt ?? '') || Date.now() - 3600_000;
  const pending = events.some((e) => e.status === 'PENDING');
  const moved = events.map((e) => Date.parse(e.deliveredAt ?? e.nextAttemptAt ?? '') || 0);
  const last = pending ? Date.now() : Math.max(created, ...moved);
  return {
    from: new Date(created - minute).toISOString(),
    to: new Date(Math.min(Date.now(), last + minute)).toISOString(),
    path: 'payment',
  };
}

/** #/payments/<transactionId>: the charge, the payment, each event, the order and the user's notifications. */
export const paymentView: View = async ({ segments }, { refresh }) => {
  const transactionId = segments[0] ?? '';
  const payment = await find<any>(`/payments/${seg(transactionId)}`);
  if (!payment) {
    return {
      title: `Payment ${transactionId}`,
      node: h(
        'p',
        { class: 'empty' },
        `No payment or charge for transaction ${transactionId} (yet).`,
      ),
      pollMs: IN_FLIGHT_POLL_MS,
    };
  }
  const events: EventView[] = payment.events ?? [];
  const [order, history, notifications] = await Promise.all([
    find<any>(`/orders/${seg(payment.orderId)}`).catch(() => undefined),
    find<any>(`/orders/${seg(payment.orderId)}/history`).catch((e: unknown) => e),
    get<any>(`/notifications?userId=${seg(payment.userId)}&limit=50`).catch((e: unknown) => e),
  ]);
  const eventIds = new Set(events.map((e) => e.eventId));
  const charge = payment.charge ?? {};

  const sections = [
    section(
      'payment-heading',
      'Payment',
      facts([
        ['Status', badge(payment.status)],
        ['Failure reason', payment.failureReason],
        ['Amount', money(payment.amount, payment.currency)],
        ['Order', link.order(payment.orderId)],
        ['User', link.user(payment.userId)],
        ['Created', time(payment.createdAt)],
        ['Final since', time(payment.finalizedAt)],
        ['Correlation id', payment.correlationId ? link.trace(payment.correlationId) : undefined],
      ]),
      payment.correlationId
        ? h(
            'p',
            {},
            link.trace(
              payment.correlationId,
              'Open this request\u2019s timeline',
              paymentWindow(payment, events),
            ),
          )
        : null,
    ),
    section(
      'charge-heading',
      'Charge',
      facts([
        ['State', badge(charge.state)],
        ['Result from', charge.resultSource],
        ['Confirmed by callback', charge.confirmedAt ? ['yes, ', time(charge.confirmedAt)] : 'no'],
        ['Gateway reference', charge.gatewayReference],
        ['Decline reason', charge.declineReason],
        ['Charged', time(charge.createdAt)],
        ['Result recorded', time(charge.recordedAt)],
      ]),
      // A charge stuck PENDING holds its order: the operator may void it (never after it charged).
      charge.state === 'PENDING' ? h('p', {}, voidButton(transactionId, refresh)) : null,
    ),
    section(
      'events-heading',
      'Outbox events',
      table(
        'Downstream effects of this payment',
        [
          'Event',
          'Target',
          'Status',
          'Attempts',
          'Last error',
          'Next attempt / delivered',
          'Action',
        ],
        events.map((e) => [
          h('span', {}, e.type, h('br'), h('code', {}, e.eventId)),
          e.target,
          badge(e.status),
          String(e.attempts),
          e.lastError ?? '',
          e.status === 'PENDING' ? time(e.nextAttemptAt) : time(e.deliveredAt),
          e.status === 'DEAD' ? redriveButton(transactionId, e, refresh) : '',
        ]),
      ),
    ),
    section(
      'order-heading',
      ['Order ', link.order(payment.orderId)],
      order
        ? facts([
            ['Status', badge(order.status)],
            ['Version', String(order.version)],
            ['Updated', time(order.updatedAt)],
          ])
        : h('p', { class: 'empty' }, 'The order service does not know this order.'),
      history instanceof Error
        ? errorBox(history)
        : history
          ? historyTable(history.entries ?? [])
          : null,
    ),
    section(
      'notifications-heading',
      ['Notifications to ', link.user(payment.userId)],
      notifications instanceof Error
        ? errorBox(notifications)
        : table(
            'Notifications for this payment',
            ['Status', 'Message', 'Event', 'Sent', 'Reason'],
            (notifications.items ?? [])
              .filter((n: any) => !n.eventId || eventIds.has(n.eventId))
              .map((n: any) => [
                badge(n.status),
                n.message,
                n.eventId ? h('code', {}, n.eventId) : '',
                time(n.sentAt ?? n.createdAt),
                n.reason ?? '',
              ]),
          ),
    ),
  ];
  const inFlight = payment.status === 'PROCESSING' || events.some((e) => e.status === 'PENDING');
  return {
    title: `Payment ${transactionId}`,
    node: h('div', { class: 'sections' }, sections),
    pollMs: inFlight ? IN_FLIGHT_POLL_MS : undefined,
  };
};
