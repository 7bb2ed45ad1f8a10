import { ServiceUnavailableError } from '../shared/errors.js';
import { sleep as realSleep } from '../shared/retry-on-conflict.js';
import type { OrderCommit, OrderRepository } from './order-repository.js';
import type { Order } from './types.js';

/** Collaborators of the order use cases. */
export interface OrderServiceDeps {
  repository: OrderRepository;
  /** The current time (injectable for tests). */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts of one read-decide-write before giving up with a 503. */
  maxAttempts?: number;
  /** Epoch ms after which no new attempt starts (the function's own deadline). */
  deadline?: number;
  /** Called after every committed write of an order (e.g. to invalidate a cache). */
  onWrite?: (orderId: string) => void;
}

const DEFAULT_ATTEMPTS = 25;

/** The clock and the conflict-retry policy of one use case. */
export function settings(deps: OrderServiceDeps) {
  return {
    now: deps.now ?? (() => new Date()),
    retry: {
      maxAttempts: deps.maxAttempts ?? DEFAULT_ATTEMPTS,
      sleep: deps.sleep ?? realSleep,
      deadline: deps.deadline,
      onExhausted: () =>
        new ServiceUnavailableError('ORDER_CONTENDED', 'The order is busy; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
    },
  };
}

/** The attributes that hold an order for a payment: removed together when the hold ends. */
export const HOLD_ATTRIBUTES: (keyof Order)[] = ['paymentHolder', 'holdUntil'];

/**
 * Commits one operation on an order (one conditional write of the order item,
 * its history row written ahead in the item's log), then copies the row to the
 * history table. If the function dies in between, the row waits on the order:
 * the history shows it, and the next operation copies it (order-history.ts).
 * Returns the order as stored, or 'conflict' (re-read and decide again).
 */
export async function commitOperation(
  deps: OrderServiceDeps,
  commit: OrderCommit,
  options: { changed: boolean } = { changed: true },
): Promise<Order | 'conflict'> {
  const stored = await deps.repository.commit(commit);
  if (stored === 'conflict') return 'conflict';
  await deps.repository.writeHistory([commit.audit]);
  if (options.changed) deps.onWrite?.(commit.orderId);
  return stored;
}
