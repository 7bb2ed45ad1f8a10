import { describe, expect, it } from 'vitest';
import {
  checkInvariants,
  describeViolations,
  type Snapshot,
} from '../../scripts/lib/proofs/invariants.mjs';

/** A run where every promise held: t1 succeeded, t2 was declined. */
function healthy(): Snapshot {
  return {
    charges: [{ transactionId: 't1' }, { transactionId: 't2' }],
    payments: [
      { transactionId: 't1', status: 'SUCCEEDED' },
      { transactionId: 't2', status: 'FAILED' },
    ],
    events: [
      { transactionId: 't1', eventId: 'e1o', type: 'order.status', status: 'DELIVERED' },
      { transactionId: 't1', eventId: 'e1n', type: 'notification.send', status: 'DELIVERED' },
      { transactionId: 't2', eventId: 'e2o', type: 'order.status', status: 'DELIVERED' },
      { transactionId: 't2', eventId: 'e2n', type: 'notification.send', status: 'DELIVERED' },
    ],
    orders: [
      { orderId: 'o1', status: 'PAID' },
      { orderId: 'o2', status: 'PAYMENT_FAILED' },
    ],
    audit: [
      { orderId: 'o1', seq: 1, operation: 'create', outcome: 'applied', newStatus: 'PENDING' },
      { orderId: 'o1', seq: 2, operation: 'status', outcome: 'applied', newStatus: 'PAID' },
      { orderId: 'o1', seq: 3, operation: 'status', outcome: 'unchanged', newStatus: 'PAID' },
      { orderId: 'o2', seq: 1, operation: 'create', outcome: 'applied', newStatus: 'PENDING' },
      {
        orderId: 'o2',
        seq: 2,
        operation: 'status',
        outcome: 'applied',
        newStatus: 'PAYMENT_FAILED',
      },
    ],
    notifications: [
      { userId: 'u1', status: 'SENT', message: 'Payment t1 succeeded', eventId: 'e1n' },
      { userId: 'u1', status: 'SKIPPED', message: 'Payment t1 succeeded', eventId: 'e1n' },
      { userId: 'u1', status: 'SENT', message: 'Payment t2 failed', eventId: 'e2n' },
    ],
  };
}

const expected = [
  { transactionId: 't1', orderId: 'o1', userId: 'u1' },
  { transactionId: 't2', orderId: 'o2', userId: 'u1' },
];

const invariantsBroken = (snapshot: Snapshot) =>
  checkInvariants(snapshot, expected).violations.map((v: { invariant: string }) => v.invariant);

describe('Function: checkInvariants', () => {
  it('finds nothing wrong when every promise held, and counts what it saw', () => {
    const { counts, violations } = checkInvariants(healthy(), expected);
    expect(violations).toEqual([]);
    expect(counts).toMatchObject({
      transactions: 2,
      charges: 2,
      succeeded: 1,
      failed: 1,
      ordersPaid: 1,
      ordersPaymentFailed: 1,
      notificationsSent: 2,
      notificationsSkipped: 1,
      eventsDelivered: 4,
      eventsPending: 0,
      eventsDead: 0,
      auditEntries: 5,
    });
  });

  it('reports a transaction charged twice, one never charged and a charge nobody asked for', () => {
    const snapshot = healthy();
    snapshot.charges = [{ transactionId: 't1' }, { transactionId: 't1' }, { transactionId: 'tx' }];
    const { violations } = checkInvariants(snapshot, expected);
    expect(describeViolations(violations)).toMatch(/t1: charged 2 times/);
    expect(describeViolations(violations)).toMatch(/t2: no charge recorded/);
    expect(describeViolations(violations)).toMatch(/tx: charged but never requested/);
  });

  it('reports a payment left unfinished', () => {
    const snapshot = healthy();
    snapshot.payments[0]!.status = 'PENDING';
    expect(invariantsBroken(snapshot)).toContain('payment final');
  });

  it('reports an order that does not follow its payment', () => {
    const snapshot = healthy();
    snapshot.orders[0]!.status = 'PENDING';
    expect(invariantsBroken(snapshot)).toContain('order follows payment');
  });

  it('reports a notification sent twice or never', () => {
    const twice = healthy();
    twice.notifications[1]!.status = 'SENT';
    expect(invariantsBroken(twice)).toEqual(['one notification per payment']);
    const never = healthy();
    never.notifications = never.notifications.filter((n) => n.eventId !== 'e2n');
    expect(invariantsBroken(never)).toEqual(['one notification per payment']);
  });

  it('does not count the notification of t10 as one of t1 when they share a user', () => {
    const snapshot = healthy();
    const withT10 = [...expected, { transactionId: 't10', orderId: 'o10', userId: 'u1' }];
    snapshot.charges.push({ transactionId: 't10' });
    snapshot.payments.push({ transactionId: 't10', status: 'SUCCEEDED' });
    snapshot.orders.push({ orderId: 'o10', status: 'PAID' });
    snapshot.audit.push(
      { orderId: 'o10', seq: 1, operation: 'create', outcome: 'applied', newStatus: 'PENDING' },
      { orderId: 'o10', seq: 2, operation: 'status', outcome: 'applied', newStatus: 'PAID' },
    );
    snapshot.events.push(
      { transactionId: 't10', eventId: 'e10o', type: 'order.status', status: 'DELIVERED' },
      { transactionId: 't10', eventId: 'e10n', type: 'notification.send', status: 'DELIVERED' },
    );
    // Records without an eventId are matched by the whole id in the message.
    snapshot.notifications = [
      { userId: 'u1', status: 'SENT', message: 'Payment t1 succeeded' },
      { userId: 'u1', status: 'SENT', message: 'Payment t2 failed' },
      { userId: 'u1', status: 'SENT', message: 'Payment t10 succeeded' },
    ];
    expect(checkInvariants(snapshot, withT10).violations).toEqual([]);
  });

  it('reports an event left pending or dead, and a missing event', () => {
    const pending = healthy();
    pending.events[0]!.status = 'PENDING';
    pending.events[3]!.status = 'DEAD';
    expect(checkInvariants(pending, expected).violations).toHaveLength(2);
    const missing = healthy();
    missing.events.pop();
    expect(describeViolations(checkInvariants(missing, expected).violations)).toMatch(
      /0 notification.send events/,
    );
  });

  it('reports an audit trail with a gap, without its creation, or with the change applied twice', () => {
    const gap = healthy();
    gap.audit = gap.audit.filter((a) => !(a.orderId === 'o1' && a.seq === 2));
    expect(describeViolations(checkInvariants(gap, expected).violations)).toMatch(
      /o1: sequence gap before seq 3/,
    );
    const noCreate = healthy();
    noCreate.audit = noCreate.audit.filter((a) => !(a.orderId === 'o2' && a.seq === 1));
    expect(describeViolations(checkInvariants(noCreate, expected).violations)).toMatch(
      /o2: no creation entry/,
    );
    const twice = healthy();
    twice.audit[2]!.outcome = 'applied';
    expect(describeViolations(checkInvariants(twice, expected).violations)).toMatch(
      /o1: 2 applied changes to PAID/,
    );
  });
});

describe('Function: checkInvariants, what the crash run adds', () => {
  it('reports a notification left SENDING (the shape before issue 24)', () => {
    const snapshot = healthy();
    snapshot.notifications.push({ userId: 'u1', status: 'SENDING', message: 'x', eventId: 'e9' });
    expect(invariantsBroken(snapshot)).toEqual(['nothing left half-sent']);
  });

  it('reports a lead claim whose notification was never recorded, and passes one whose was', () => {
    const snapshot = healthy();
    const [sent] = snapshot.notifications;
    snapshot.notificationLeads = [{ userId: 'u1', notificationId: 'n-lost' }];
    expect(invariantsBroken(snapshot)).toEqual(['nothing left half-sent']);
    sent!.notificationId = 'n-kept';
    snapshot.notificationLeads = [{ userId: 'u1', notificationId: 'n-kept' }];
    expect(invariantsBroken(snapshot)).toEqual([]);
  });

  it('checks the gateway ledger: each payment charged there once, with its outcome, and nothing else', () => {
    const snapshot = healthy();
    snapshot.ledger = [
      { transactionId: 't1', outcome: 'succeeded' },
      { transactionId: 't2', outcome: 'declined' },
    ];
    expect(invariantsBroken(snapshot)).toEqual([]);
    snapshot.ledger = [
      { transactionId: 't1', outcome: 'declined' },
      { transactionId: 'tx', outcome: 'succeeded' },
    ];
    expect(checkInvariants(snapshot, expected).violations).toEqual([
      { invariant: 'charged once at the gateway', id: 'tx', detail: 'charged but never requested' },
      {
        invariant: 'charged once at the gateway',
        id: 't1',
        detail: 'gateway says declined, payment SUCCEEDED',
      },
      { invariant: 'charged once at the gateway', id: 't2', detail: 'not in the gateway ledger' },
    ]);
  });

  it('reports an order the gateway charged twice, even when our records show one success', () => {
    const snapshot = healthy();
    // t3 was replaced on o1 and its payment says FAILED, yet the gateway charged it.
    const withT3 = [...expected, { transactionId: 't3', orderId: 'o1', userId: 'u1' }];
    snapshot.charges.push({ transactionId: 't3' });
    snapshot.payments.push({ transactionId: 't3', status: 'FAILED' });
    snapshot.ledger = [
      { transactionId: 't1', outcome: 'succeeded' },
      { transactionId: 't2', outcome: 'declined' },
      { transactionId: 't3', outcome: 'succeeded' },
    ];
    const broken = checkInvariants(snapshot, withT3).violations.map(
      (v: { invariant: string }) => v.invariant,
    );
    expect(broken).toContain('one charge per order at the gateway');
    expect(broken).toContain('charged once at the gateway');
  });

  it('counts a voided key as no charge, and a voided payment of an order paid by another as no decline', () => {
    const snapshot = healthy();
    const withT3 = [...expected, { transactionId: 't3', orderId: 'o1', userId: 'u1' }];
    snapshot.charges.push({ transactionId: 't3' });
    snapshot.payments.push({ transactionId: 't3', status: 'FAILED', failureReason: 'voided' });
    snapshot.events.push(
      { transactionId: 't3', eventId: 'e3o', type: 'order.status', status: 'DELIVERED' },
      { transactionId: 't3', eventId: 'e3n', type: 'notification.send', status: 'DELIVERED' },
    );
    snapshot.notifications.push({ userId: 'u1', status: 'SENT', message: 'x', eventId: 'e3n' });
    snapshot.ledger = [
      { transactionId: 't1', outcome: 'succeeded' },
      { transactionId: 't2', outcome: 'declined' },
      { transactionId: 't3', outcome: 'voided' },
      // A stranger's voided key that was never a payment of ours.
      { transactionId: 'tx', outcome: 'voided' },
    ];
    expect(describeViolations(checkInvariants(snapshot, withT3).violations)).toBe('');
  });

  it('reports an idempotency record in progress past its expiry, not one still running', () => {
    const snapshot = healthy();
    snapshot.checkedAt = 10_000;
    snapshot.idempotency = [
      { id: 'k-done', status: 'COMPLETED' },
      { id: 'k-live', status: 'INPROGRESS', inProgressExpiry: 20_000 },
      { id: 'k-dead', status: 'INPROGRESS', inProgressExpiry: 5_000 },
    ];
    expect(checkInvariants(snapshot, expected).violations).toEqual([
      {
        invariant: 'no idempotency record stuck in progress',
        id: 'k-dead',
        detail: 'IN_PROGRESS past its expiry',
      },
    ]);
  });
});

describe('Function: describeViolations', () => {
  it('groups by invariant and shows a bounded number of examples', () => {
    const violations = Array.from({ length: 7 }, (_, i) => ({
      invariant: 'events delivered',
      id: `t${i}`,
      detail: 'left PENDING',
    }));
    const text = describeViolations(violations, 2);
    expect(text.split('\n')).toEqual([
      '  events delivered: 7 violation(s)',
      '    - t0: left PENDING',
      '    - t1: left PENDING',
      '    ... and 5 more',
    ]);
  });
});

describe('Function: checkInvariants, the order as arbiter', () => {
  /** t2 is declined on o1, then t3 pays o1. */
  function declinedThenPaid(): Snapshot {
    const s = healthy();
    s.charges.push({ transactionId: 't3' });
    s.payments.push({ transactionId: 't3', status: 'SUCCEEDED' });
    s.events.push(
      { transactionId: 't3', eventId: 'e3o', type: 'order.status', status: 'DELIVERED' },
      { transactionId: 't3', eventId: 'e3n', type: 'notification.send', status: 'DELIVERED' },
    );
    s.notifications.push({ userId: 'u1', status: 'SENT', eventId: 'e3n' });
    s.orders = [{ orderId: 'o1', status: 'PAID' }];
    s.audit = [
      { orderId: 'o1', seq: 1, operation: 'create', outcome: 'applied', newStatus: 'PENDING' },
      {
        orderId: 'o1',
        seq: 2,
        operation: 'payment-hold',
        outcome: 'applied',
        newStatus: 'PENDING',
      },
      {
        orderId: 'o1',
        seq: 3,
        operation: 'status',
        outcome: 'applied',
        newStatus: 'PAYMENT_FAILED',
      },
      {
        orderId: 'o1',
        seq: 4,
        operation: 'payment-hold',
        outcome: 'applied',
        newStatus: 'PAYMENT_FAILED',
      },
      { orderId: 'o1', seq: 5, operation: 'status', outcome: 'applied', newStatus: 'PAID' },
    ];
    return s;
  }
  const onOneOrder = [
    { transactionId: 't2', orderId: 'o1', userId: 'u1' },
    { transactionId: 't3', orderId: 'o1', userId: 'u1' },
  ];

  it('accepts a decline followed by a payment that succeeds on the same order', () => {
    const s = declinedThenPaid();
    s.charges = s.charges.filter((c) => c.transactionId !== 't1');
    s.payments = s.payments.filter((p) => p.transactionId !== 't1');
    s.events = s.events.filter((e) => e.transactionId !== 't1');
    s.notifications = s.notifications.filter((n) => n.eventId !== 'e1n');
    expect(checkInvariants(s, onOneOrder).violations).toEqual([]);
  });

  it('flags two successful payments of one order', () => {
    const s = declinedThenPaid();
    s.payments = s.payments.map((p) =>
      p.transactionId === 't2' ? { ...p, status: 'SUCCEEDED' } : p,
    );
    s.charges = s.charges.filter((c) => c.transactionId !== 't1');
    const broken = checkInvariants(s, onOneOrder).violations.map(
      (v: { invariant: string }) => v.invariant,
    );
    expect(broken).toContain('one success per order');
  });
});
