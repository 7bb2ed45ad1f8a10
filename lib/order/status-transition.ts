/** The statuses an order can be in (docs/design.md). */
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
  // A declined order may be paid again, by a new transactionId (and declined again).
  PAYMENT_FAILED: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  SHIPPED: [],
  REFUNDED: [],
  CANCELLED: [],
};

/** The statuses a payment may still be taken in (docs/design.md, step 1b). */
export const PAYABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'PAYMENT_FAILED'];

/** The statuses only the payment that holds the order may set. */
export const PAYMENT_STATUSES: readonly OrderStatus[] = ['PAID', 'PAYMENT_FAILED'];

/**
 * The order state machine as a pure function: PENDING → PAID | PAYMENT_FAILED |
 * CANCELLED; PAYMENT_FAILED → PAID | PAYMENT_FAILED | CANCELLED; PAID → SHIPPED
 * | REFUNDED. An edge is `apply` (PAYMENT_FAILED → PAYMENT_FAILED is a new
 * payment's decline); the same status without an edge is `unchanged`; anything
 * else (stale, backwards, skipping a step) is `illegal`.
 */
export const OrderStatusTransition = {
  /** Decides whether `requested` may follow `current`. */
  decide(current: OrderStatus, requested: OrderStatus): TransitionDecision {
    if (NEXT[current].includes(requested)) return { kind: 'apply' };
    if (current === requested) return { kind: 'unchanged' };
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
