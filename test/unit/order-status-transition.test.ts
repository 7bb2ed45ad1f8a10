import { describe, expect, it } from 'vitest';
import {
  ORDER_STATUSES,
  type OrderStatus,
  OrderStatusTransition,
} from '../../lib/order/status-transition.js';

describe('Object: OrderStatusTransition', () => {
  it.each([
    ['PENDING', 'PAID'],
    ['PENDING', 'PAYMENT_FAILED'],
    ['PENDING', 'CANCELLED'],
    ['PAYMENT_FAILED', 'PAID'],
    ['PAYMENT_FAILED', 'PAYMENT_FAILED'],
    ['PAYMENT_FAILED', 'CANCELLED'],
    ['PAID', 'SHIPPED'],
    ['PAID', 'REFUNDED'],
  ] as [OrderStatus, OrderStatus][])('applies %s → %s', (from, to) => {
    expect(OrderStatusTransition.decide(from, to)).toEqual({ kind: 'apply' });
  });

  it.each(ORDER_STATUSES.filter((s) => s !== 'PAYMENT_FAILED'))(
    'treats %s → the same status as unchanged',
    (status) => {
      expect(OrderStatusTransition.decide(status, status)).toEqual({ kind: 'unchanged' });
    },
  );

  it.each([
    ['PAID', 'PENDING'],
    ['REFUNDED', 'PAID'],
    ['SHIPPED', 'PAID'],
    ['CANCELLED', 'PAID'],
    ['PAYMENT_FAILED', 'SHIPPED'],
    ['PENDING', 'SHIPPED'],
    ['PENDING', 'REFUNDED'],
    ['PAID', 'CANCELLED'],
  ] as [OrderStatus, OrderStatus][])('rejects %s → %s as illegal, naming both', (from, to) => {
    const decision = OrderStatusTransition.decide(from, to);
    expect(decision.kind).toBe('illegal');
    expect(decision.kind === 'illegal' && decision.reason).toContain(
      `${from} cannot move to ${to}`,
    );
  });

  it('has no way back: no status can ever return to PENDING', () => {
    for (const status of ORDER_STATUSES) {
      expect(OrderStatusTransition.next(status)).not.toContain('PENDING');
    }
  });

  it('knows the final statuses', () => {
    expect(ORDER_STATUSES.filter((s) => OrderStatusTransition.isFinal(s))).toEqual([
      'SHIPPED',
      'REFUNDED',
      'CANCELLED',
    ]);
  });
});
