import { type AppError, ConflictError, UnprocessableError } from '../shared/errors.js';
import type { Currency } from '../shared/money.js';
import { CONFLICT, retryOnConflict } from '../shared/retry-on-conflict.js';
import {
  commitOperation,
  HOLD_ATTRIBUTES,
  type OrderServiceDeps,
  settings,
} from './order-commit.js';
import { differingFields } from './order-fields.js';
import { notFound, pendingHoldOf, settlePending } from './order-history.js';
import { PAYABLE_STATUSES } from './status-transition.js';
import type { AuditEntry, OperationContext, Order, PendingHoldRow } from './types.js';

/**
 * How long a new hold is protected before its charge is known to have
 * started: longer than a payment function can run (15 s), so once it has
 * passed, a holder that never wrote its charge is certainly dead.
 */
export const DEFAULT_HOLD_LEASE_MS = 60_000;

/**
 * A hold is taken in one write only while the order keeps at most one row in
 * its log (its creation's, or its latest operation's): a hold and a result
 * taken without a read add rows without dropping any, so this bounds the
 * order item; otherwise the hold is read and decided, which drops them.
 */
const FREE_HOLD_LOG_ROOM = 2;

/** Input of {@link holdForPayment}, already validated. */
export interface HoldInput {
  orderId: string;
  transactionId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
  /**
   * The holder this payment replaces: the payment service has voided that
   * holder's key at the gateway first, so it never charged and never can.
   * Taken only if that holder still holds the order and its lease has passed.
   */
  replaces?: string;
}

/** What {@link holdForPayment} did. */
export interface HoldResult {
  order: Order;
  /** True when this call wrote the hold (false: this transactionId held it already, or paid it). */
  acquired: boolean;
  /**
   * When the order keeps this hold's row from a one-write hold (Order.pendingHold)
   * and the history table has it too: the row's time, for the payment's result
   * to name it (HeldOrder.heldAt) and drop it from the order.
   */
  heldAt?: string;
}

/** What the history says of a hold taken in one write. */
export const FREE_HOLD_DETAIL = 'HELD: this transactionId may charge the order';

/** The history row of a hold taken in one write, without what the order supplies (seq, status, version). */
export function freeHoldRow(
  transactionId: string,
  at: string,
  context: OperationContext,
): PendingHoldRow {
  return {
    at,
    operation: 'payment-hold',
    outcome: 'applied',
    ...context,
    transactionId,
    detail: FREE_HOLD_DETAIL,
  };
}

/** Options of the hold use cases, over the order use cases' own. */
export interface HoldDeps extends OrderServiceDeps {
  /** Protection of a new hold, in ms (default {@link DEFAULT_HOLD_LEASE_MS}). */
  leaseMs?: number;
}

/** Seconds until `until` (at least 1): what a refused payment should wait before trying again. */
function secondsUntil(until: string | undefined, now: Date): number {
  const ms = until ? Date.parse(until) - now.getTime() : 0;
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Why this payment may not hold the order, or undefined when it may. Checked
 * in the order docs/design.md gives: the order must match the payment, be payable,
 * and not be held (or paid) by another transactionId.
 */
function refusal(order: Order, input: HoldInput, now: Date): AppError | undefined {
  // Never their values: the caller may be anyone's payment.
  const details = differingFields(
    order,
    input,
    ['userId', 'amount', 'currency'],
    'differs from the order',
  );
  if (details.length > 0) {
    return new UnprocessableError(
      'ORDER_MISMATCH',
      `Order ${order.orderId} does not match the payment: ${details.map((d) => d.field).join(', ')}`,
      { details },
    );
  }
  if (order.paidBy === input.transactionId) return undefined; // the payer again: replayed below
  if (!PAYABLE_STATUSES.includes(order.status)) {
    return new ConflictError(
      'ORDER_NOT_PAYABLE',
      `Order ${order.orderId} is ${order.status} and cannot be paid`,
      {
        details: [
          {
            field: 'orderId',
            issue: `order is ${order.status}`,
            currentStatus: order.status,
            payableStatuses: [...PAYABLE_STATUSES],
          },
        ],
      },
    );
  }
  const holder = order.paymentHolder;
  if (!holder || holder === input.transactionId) return undefined;
  const leaseOver = !order.holdUntil || Date.parse(order.holdUntil) <= now.getTime();
  if (input.replaces === holder && leaseOver) return undefined;
  // A payment usually ends in seconds (its result then ends the hold), and a
  // lease that is over but still held means a charge may have happened: its
  // result, or the reconciler's, will come. Either way: come back shortly.
  const retryAfterSeconds = Math.min(5, secondsUntil(order.holdUntil, now));
  return new ConflictError(
    'ORDER_PAYMENT_IN_PROGRESS',
    `Another payment is in progress for order ${order.orderId}; retry later`,
    {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      details: [
        {
          field: 'orderId',
          issue: 'another transactionId holds the order',
          holder,
          leaseOver,
          retryAfterSeconds,
        },
      ],
    },
  );
}

/**
 * Step 1b of the payment flow: the order decides whether this payment may be
 * charged. It must exist (404), match the payment (422 ORDER_MISMATCH), be
 * PENDING or PAYMENT_FAILED (409 ORDER_NOT_PAYABLE) and not be held by another
 * transactionId (409 ORDER_PAYMENT_IN_PROGRESS with Retry-After). Then this
 * transactionId holds the order (one payment at a time, recorded in the
 * history) until its result arrives as a status event or it is released.
 * Idempotent per transactionId: its holder, or its payer, is answered again
 * without a write of its own (what a crash left on the order is copied to the
 * history table first). Refusals write nothing.
 */
export async function holdForPayment(
  deps: HoldDeps,
  input: HoldInput,
  context: OperationContext,
): Promise<HoldResult> {
  const { now, retry } = settings(deps);
  const { repository } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_HOLD_LEASE_MS;
  if (!input.replaces) {
    // The usual case, a free order that matches: held in one conditional
    // write, its history row kept on the order, then copied to the history
    // table before the answer (so the answer's heldAt means it is there).
    // Any other case is read and decided below.
    const at = now();
    const held = await repository.holdIfFree({
      orderId: input.orderId,
      transactionId: input.transactionId,
      userId: input.userId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      payableStatuses: PAYABLE_STATUSES,
      holdUntil: new Date(at.getTime() + leaseMs).toISOString(),
      row: freeHoldRow(input.transactionId, at.toISOString(), context),
      logRoom: FREE_HOLD_LOG_ROOM,
    });
    const row = held && pendingHoldOf(held);
    if (held && row) {
      await repository.writeHistory([row]);
      deps.onWrite?.(input.orderId);
      return { order: held, acquired: true, heldAt: row.at };
    }
  }
  const known = new Set<number>();
  return retryOnConflict(async () => {
    const order = await repository.get(input.orderId);
    if (!order) throw notFound(input.orderId);
    const at = now();
    const refused = refusal(order, input, at);
    if (refused) throw refused;
    const settled = await settlePending(repository, order, known);
    if (order.paidBy === input.transactionId || order.paymentHolder === input.transactionId) {
      // Answered again without a write; a one-write hold's row, if the order
      // still keeps it, is in the history table now (settled above).
      const heldAt =
        order.pendingHold?.transactionId === input.transactionId ? order.pendingHold.at : undefined;
      return { order, acquired: false, ...(heldAt ? { heldAt } : {}) };
    }
    const holdUntil = new Date(at.getTime() + leaseMs).toISOString();
    const replaced = order.paymentHolder;
    const audit: AuditEntry = {
      orderId: input.orderId,
      seq: order.auditSeq + 1,
      at: at.toISOString(),
      operation: 'payment-hold',
      outcome: 'applied',
      ...context,
      transactionId: input.transactionId,
      previousStatus: order.status,
      newStatus: order.status,
      detail: replaced
        ? `HELD: replaces ${replaced}, whose gateway key the payment voided first: it never charged, and never can`
        : FREE_HOLD_DETAIL,
      version: order.version,
    };
    const stored = await commitOperation(deps, {
      orderId: input.orderId,
      expectedSeq: order.auditSeq,
      audit,
      settled,
      set: { paymentHolder: input.transactionId, holdUntil },
    });
    if (stored === 'conflict') return CONFLICT;
    return { order: stored, acquired: true };
  }, retry);
}

/** Input of {@link releaseHold}. */
export interface ReleaseInput {
  orderId: string;
  transactionId: string;
  /** Why the payment gives the order back (kept in the history). */
  reason?: string;
}

/**
 * Gives the order back when its holder's charge proved impossible (the gateway
 * never saw it) or ended declined without a status event. Only the holder can
 * release; anyone else, or a second release, changes nothing (`released: false`).
 */
export async function releaseHold(
  deps: OrderServiceDeps,
  input: ReleaseInput,
  context: OperationContext,
): Promise<{ order: Order; released: boolean }> {
  const { now, retry } = settings(deps);
  const known = new Set<number>();
  return retryOnConflict(async () => {
    const order = await deps.repository.get(input.orderId);
    if (!order) throw notFound(input.orderId);
    const settled = await settlePending(deps.repository, order, known);
    if (order.paymentHolder !== input.transactionId) return { order, released: false };
    const stored = await commitOperation(deps, {
      orderId: input.orderId,
      expectedSeq: order.auditSeq,
      audit: {
        orderId: input.orderId,
        seq: order.auditSeq + 1,
        at: now().toISOString(),
        operation: 'payment-release',
        outcome: 'applied',
        ...context,
        transactionId: input.transactionId,
        previousStatus: order.status,
        newStatus: order.status,
        reason: input.reason,
        detail: 'RELEASED: the order may be paid by another transactionId',
        version: order.version,
      },
      settled,
      remove: HOLD_ATTRIBUTES,
    });
    if (stored === 'conflict') return CONFLICT;
    return { order: stored, released: true };
  }, retry);
}
