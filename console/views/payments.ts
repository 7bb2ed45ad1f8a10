import { get } from '../api.js';
import { badge, h, link, money, table, time } from '../dom.js';
import { OVERVIEW_POLL_MS, type View } from '../view.js';

const STATUSES = ['SUCCEEDED', 'FAILED', 'PROCESSING'];

interface Row {
  transactionId: string;
  orderId?: string;
  userId?: string;
  amount?: number;
  currency?: string;
  status: string;
  createdAt: string;
  failureReason?: string;
}

/** #/payments?status=&cursor=: the newest payments first, filtered by status, paged. */
export const paymentsView: View = async ({ query }) => {
  const status = query.get('status') ?? '';
  const cursor = query.get('cursor') ?? '';
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  const page = await get<{ items: Row[]; nextCursor: string | null }>(`/payments?${params}`);

  const filter = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter payments' },
    h('label', { for: 'status-filter' }, 'Status'),
    h(
      'select',
      {
        id: 'status-filter',
        onchange: (event: Event) => {
          const value = (event.target as HTMLSelectElement).value;
          location.hash = value ? `#/payments?status=${value}` : '#/payments';
        },
      },
      h('option', { value: '', selected: !status }, 'All'),
      STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
    ),
  );
  const rows = page.items.map((p) => [
    time(p.createdAt),
    link.payment(p.transactionId),
    p.orderId ? link.order(p.orderId) : '',
    p.userId ? link.user(p.userId) : '',
    money(p.amount, p.currency),
    [badge(p.status), p.failureReason ? ` ${p.failureReason}` : ''],
  ]);
  const base = status ? `#/payments?status=${status}` : '#/payments';
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: base }, 'First page') : null,
    page.nextCursor
      ? h(
          'a',
          { href: `${base}${status ? '&' : '?'}cursor=${encodeURIComponent(page.nextCursor)}` },
          'Next page',
        )
      : null,
  );
  return {
    title: 'Payments',
    node: h(
      'div',
      {},
      filter,
      table(
        'Payments, newest first',
        ['Created', 'Transaction', 'Order', 'User', 'Amount', 'Status'],
        rows,
      ),
      pager,
    ),
    // Only the first page follows new payments as they arrive.
    pollMs: cursor ? undefined : OVERVIEW_POLL_MS,
  };
};
