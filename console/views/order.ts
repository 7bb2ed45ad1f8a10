import { find, seg } from '../api.js';
import { badge, facts, h, link, money, section, table, time } from '../dom.js';
import { IN_FLIGHT_POLL_MS, type View } from '../view.js';

/** The order's history, one row per operation, each with its request's timeline. */
export function historyTable(entries: any[]): HTMLElement {
  return table(
    'Order history, oldest first',
    ['#', 'When', 'Operation', 'Outcome', 'Status', 'Caller', 'Event', 'Detail', 'Request'],
    entries.map((e) => [
      String(e.seq),
      time(e.at),
      e.operation,
      badge(e.outcome),
      e.previousStatus || e.newStatus || e.requestedStatus
        ? `${e.previousStatus ?? '–'} → ${e.newStatus ?? e.requestedStatus ?? '–'}`
        : '',
      e.caller ?? '',
      e.eventId ? h('code', {}, e.eventId) : '',
      [e.reason, e.detail, e.duplicateEvent ? 'duplicate event' : ''].filter(Boolean).join('; '),
      e.correlationId ? link.trace(e.correlationId, 'timeline') : '',
    ]),
  );
}

/** #/orders/<orderId>: the order (from the order service) and its full history. */
export const orderView: View = async ({ segments }) => {
  const orderId = segments[0] ?? '';
  const [order, history] = await Promise.all([
    find<any>(`/orders/${seg(orderId)}`),
    find<any>(`/orders/${seg(orderId)}/history`),
  ]);
  if (!order) {
    return {
      title: `Order ${orderId}`,
      node: h('p', { class: 'empty' }, `The order service has no order ${orderId}.`),
    };
  }
  return {
    title: `Order ${orderId}`,
    node: h(
      'div',
      { class: 'sections' },
      section(
        'order-facts',
        'Order',
        facts([
          ['Status', badge(order.status)],
          ['User', link.user(order.userId)],
          ['Amount', money(order.amount, order.currency)],
          ['Version', String(order.version)],
          ['Created', time(order.createdAt)],
          ['Updated', time(order.updatedAt)],
        ]),
      ),
      section('order-history', 'History', historyTable(history?.entries ?? [])),
    ),
    pollMs: order.status === 'PENDING' ? IN_FLIGHT_POLL_MS : undefined,
  };
};
