/** The statuses an order can be in (DESIGN.md). */
export const ORDER_STATUSES = [
  'PENDING',
  'PAID',
  'PAYMENT_FAILED',
  'SHIPPED',
  'REFUNDED',
  'CANCELLED',
] as const;

/** One order status. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What to do with a requested status, given the current one. */
export type TransitionDecision =
  | { kind: 'apply' }
  | { kind: 'unchanged' }
  | { kind: 'illegal'; reason: string };

// Forward edges only: there is no way back, so a late or reordered event that
// would move an order backwards is simply not an edge here.
const NEXT: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: ['SHIPPED', 'REFUNDED'],
  PAYMENT_FAILED: [],
  SHIPPED: [],
  REFUNDED: [],
  CANCELLED: [],
};

/**
 * The order state machine as a pure function: PENDING → PAID | PAYMENT_FAILED |
 * CANCELLED; PAID → SHIPPED | REFUNDED. Same status is `unchanged`; anything
 * else (stale, backwards, skipping a step) is `illegal`.
 */
export const OrderStatusTransition = {
  /** Decides whether `requested` may follow `current`. */
  decide(current: OrderStatus, requested: OrderStatus): TransitionDecision {
    if (current === requested) return { kind: 'unchanged' };
    if (NEXT[current].includes(requested)) return { kind: 'apply' };
    return {
      kind: 'illegal',
      reason: `An order in ${current} cannot move to ${requested}`,
    };
  },

  /** The statuses that may follow `current`. */
  next(current: OrderStatus): readonly OrderStatus[] {
    return NEXT[current];
  },

  /** True when no status may follow `status`. */
  isFinal(status: OrderStatus): boolean {
    return NEXT[status].length === 0;
  },
} as const;
