import { ConflictError, UnprocessableError } from '../shared/errors.js';
import type { Currency } from '../shared/money.js';
import { CONFLICT, retryOnConflict } from '../shared/retry-on-conflict.js';
import { findMarker, MAX_EVENT_MARKERS, markersToDrop } from './event-markers.js';
import {
  commitOperation,
  HOLD_ATTRIBUTES,
  type OrderServiceDeps,
  settings,
} from './order-commit.js';
import { notFound, settlePending } from './order-history.js';
import type { OrderCommit, SettledRows } from './order-repository.js';
import { type OrderStatus, OrderStatusTransition, PAYMENT_STATUSES } from './status-transition.js';
import type { AuditEntry, AuditOutcome, EventMarker, OperationContext, Order } from './types.js';

/** Input of {@link updateOrderStatus}, already validated. */
export interface UpdateStatusInput {
  orderId: string;
  status: OrderStatus;
  eventId?: string;
  /** The payment the status comes from: PAID and PAYMENT_FAILED need the holder's. */
  transactionId?: string;
  reason?: string;
  /**
   * PAYMENT_FAILED of a payment whose gateway key was voided (it never
   * charged): from a transactionId that no longer holds the order (another
   * payment replaced it) it changes nothing and is answered unchanged, not 409.
   */
  voided?: boolean;
  /** The order as this payment's hold left it (see heldOrderSchema): a hint, never trusted as such. */
  heldOrder?: HeldOrder;
}

/** The order as a payment's hold answered it: its history position (`seq`) and its fields. */
export interface HeldOrder {
  seq: number;
  /**
   * Set when the hold was taken in one write and its row, kept on the order,
   * was already in the history table when the hold answered: this result may
   * then drop it from the order.
   */
  heldAt?: string;
  status: OrderStatus;
  version: number;
  userId: string;
  amountMinor: number;
  currency: Currency;
  createdAt: string;
  updatedAt: string;
}

/** Result of {@link updateOrderStatus} (the 409 and 404 cases throw). */
export interface UpdateStatusResult {
  order: Order;
  previousStatus: OrderStatus;
  changed: boolean;
  outcome: AuditOutcome;
  duplicateEvent: boolean;
  /** The audit seq that recorded this operation. */
  seq: number;
  /** For a duplicate event: the seq that recorded its first delivery. */
  originalSeq?: number;
}

/**
 * Moves an order to `status` if the state machine allows it, recording every
 * attempt in the history in the same write as its effect:
 * - a new legal status is applied (version + 1);
 * - the same status is unchanged (200, changed: false);
 * - a repeated eventId is answered again without a second effect;
 * - an illegal or stale status is recorded as rejected and then a 409.
 * Each decision is conditioned on the audit counter read with it, so a
 * concurrent writer forces a re-read instead of a lost update.
 */
export async function updateOrderStatus(
  deps: OrderServiceDeps,
  input: UpdateStatusInput,
  context: OperationContext,
): Promise<UpdateStatusResult> {
  const { now, retry } = settings(deps);
  const { repository } = deps;
  const held = heldOrderOf(input);
  const known = new Set<number>();
  const baseOf = (order: Order, at: string) => ({
    orderId: input.orderId,
    seq: order.auditSeq + 1,
    at,
    operation: 'status' as const,
    ...context,
    eventId: input.eventId,
    ...(input.transactionId ? { transactionId: input.transactionId } : {}),
    previousStatus: order.status,
    requestedStatus: input.status,
    reason: input.reason,
  });
  return retryOnConflict(async (attempt) => {
    if (
      attempt === 1 &&
      held &&
      OrderStatusTransition.decide(held.order.status, input.status).kind === 'apply'
    ) {
      // The payment's result on the order as its hold left it: one conditional
      // write, valid only if nothing happened since (else read, as below).
      const at = now().toISOString();
      const fast = await commitStatus(deps, input, held.order, {
        base: baseOf(held.order, at),
        changed: true,
        at,
        settled: { log: [], hold: held.heldRow !== undefined },
        marker: input.eventId ? { eventId: input.eventId, evict: [] } : undefined,
        expected: {
          status: held.order.status,
          version: held.order.version,
          paymentHolder: held.order.paymentHolder as string,
          ...(held.heldRow ? { heldRow: { ...held.heldRow, ...context } } : {}),
          markerRoom: MAX_EVENT_MARKERS,
        },
      });
      if (fast !== 'conflict') return fast;
    }
    const order = await repository.get(input.orderId);
    if (!order) throw notFound(input.orderId);
    const settled = await settlePending(repository, order, known);
    const at = now().toISOString();
    const seq = order.auditSeq + 1;
    const base = baseOf(order, at);
    // Records an attempt that leaves the order as it is (repeat, refusal): only
    // the audit counter moves, conditioned on the value read with the order.
    const recordUnchanged = async (
      entry: Pick<AuditEntry, 'outcome' | 'detail' | 'duplicateEvent'>,
    ) =>
      commitOperation(
        deps,
        {
          orderId: order.orderId,
          expectedSeq: order.auditSeq,
          settled,
          audit: { ...base, ...entry, newStatus: order.status, version: order.version },
        },
        { changed: false },
      );
    const unchanged = (stored: Order, duplicate?: EventMarker): UpdateStatusResult => ({
      order: stored,
      previousStatus: order.status,
      changed: false,
      outcome: 'unchanged',
      duplicateEvent: duplicate !== undefined,
      seq,
      ...(duplicate ? { originalSeq: duplicate.seq } : {}),
    });

    // A redelivered event is answered as it was the first time, not judged anew.
    const marker = input.eventId ? await findMarker(repository, order, input.eventId) : undefined;
    if (marker) {
      const reused = marker.requestedStatus !== input.status;
      const stored = await recordUnchanged({
        outcome: reused ? 'rejected' : 'unchanged',
        duplicateEvent: true,
        detail: reused
          ? `EVENT_ID_REUSED: first seen at seq ${marker.seq} asking for ${marker.requestedStatus}`
          : `DUPLICATE_EVENT: first seen at seq ${marker.seq} (${marker.outcome})`,
      });
      if (stored === 'conflict') return CONFLICT;
      if (reused) {
        throw new UnprocessableError(
          'EVENT_ID_REUSED',
          `eventId ${input.eventId} was already used to request ${marker.requestedStatus}`,
          { details: [{ field: 'eventId', issue: 'was already used with another status' }] },
        );
      }
      return unchanged(stored, marker);
    }

    if (isVoidedNonHolder(order, input)) {
      // A replaced (or never) holder whose key was voided: nothing to undo.
      const stored = await recordUnchanged({
        outcome: 'unchanged',
        detail: `VOIDED: transaction ${input.transactionId} never charged and does not hold the order`,
      });
      return stored === 'conflict' ? CONFLICT : unchanged(stored);
    }
    const decision = OrderStatusTransition.decide(order.status, input.status);
    if (decision.kind === 'illegal') {
      // No event marker: a transition that is early (not stale) may become
      // legal later, so a redelivery must be judged again.
      const stored = await recordUnchanged({ outcome: 'rejected', detail: decision.reason });
      if (stored === 'conflict') return CONFLICT;
      throw new ConflictError('ILLEGAL_STATUS_TRANSITION', decision.reason, {
        details: [
          {
            field: 'status',
            issue: decision.reason,
            currentStatus: order.status,
            allowed: [...OrderStatusTransition.next(order.status)],
          },
        ],
      });
    }
    const refusal = holderRefusal(order, input);
    if (refusal) {
      const stored = await recordUnchanged({ outcome: 'rejected', detail: refusal.message });
      if (stored === 'conflict') return CONFLICT;
      throw refusal;
    }

    const result = await commitStatus(deps, input, order, {
      base,
      changed: decision.kind === 'apply',
      at,
      settled,
      marker: input.eventId ? { eventId: input.eventId, evict: markersToDrop(order) } : undefined,
    });
    return result === 'conflict' ? CONFLICT : result;
  }, retry);
}

/**
 * The order a payment's hold left, from the hint its status event carries
 * (only for PAID / PAYMENT_FAILED from the transactionId that held it), and
 * the one-write hold row it names, if any.
 */
function heldOrderOf(
  input: UpdateStatusInput,
): { order: Order; heldRow?: { seq: number; at: string; transactionId: string } } | undefined {
  const hint = input.heldOrder;
  if (!hint || !input.transactionId || !PAYMENT_STATUSES.includes(input.status)) return undefined;
  const { seq, heldAt, ...fields } = hint;
  return {
    order: {
      ...fields,
      orderId: input.orderId,
      auditSeq: seq,
      paymentHolder: input.transactionId,
    },
    // The hold wrote this row in one write, with this call's correlation id
    // and caller (the payment's), and had it in the history table before it
    // answered: the write checks that the order keeps exactly that row.
    ...(heldAt ? { heldRow: { seq, at: heldAt, transactionId: input.transactionId } } : {}),
  };
}

/**
 * Writes one status operation (applied or unchanged) with its history row and
 * event marker, conditioned on the order as read (or, with `expected`, as a
 * hint claims it: a wrong hint can only fail). 'conflict' when the order
 * moved or the eventId was seen.
 */
async function commitStatus(
  deps: OrderServiceDeps,
  input: UpdateStatusInput,
  order: Order,
  op: {
    base: Omit<AuditEntry, 'outcome' | 'newStatus' | 'version'>;
    changed: boolean;
    at: string;
    settled: SettledRows;
    marker?: OrderCommit['marker'];
    expected?: OrderCommit['expected'];
  },
): Promise<UpdateStatusResult | 'conflict'> {
  const { base, changed, at } = op;
  const version = changed ? order.version + 1 : order.version;
  const outcome: AuditOutcome = changed ? 'applied' : 'unchanged';
  const audit: AuditEntry = {
    ...base,
    outcome,
    newStatus: input.status,
    version,
    ...(op.marker ? { eventMarker: true } : {}),
  };
  // The holder's result ends its hold: PAID names the payer, a decline frees the order.
  const ends = changed && PAYMENT_STATUSES.includes(input.status);
  const stored = await commitOperation(
    deps,
    {
      orderId: input.orderId,
      expectedSeq: order.auditSeq,
      ...(op.expected ? { expected: op.expected } : {}),
      audit,
      settled: op.settled,
      set: changed
        ? {
            status: input.status,
            version,
            updatedAt: at,
            ...(input.status === 'PAID' ? { paidBy: input.transactionId } : {}),
          }
        : undefined,
      remove: ends ? HOLD_ATTRIBUTES : undefined,
      marker: op.marker,
    },
    { changed },
  );
  if (stored === 'conflict') return 'conflict';
  return {
    order: stored,
    previousStatus: order.status,
    changed,
    outcome,
    duplicateEvent: false,
    seq: base.seq,
  };
}

/** True for the PAYMENT_FAILED of a voided payment that does not hold the order (see {@link UpdateStatusInput.voided}). */
function isVoidedNonHolder(order: Order, input: UpdateStatusInput): boolean {
  return (
    input.voided === true &&
    input.status === 'PAYMENT_FAILED' &&
    input.transactionId !== undefined &&
    input.transactionId !== order.paymentHolder
  );
}

/**
 * Why a status may not be set by this caller, if it may not: PAID and
 * PAYMENT_FAILED come only from the payment that holds the order (PAID again
 * from the one that paid it is a harmless repeat); nothing else may move an
 * order while a payment holds it, so a cancel cannot race a charge.
 */
function holderRefusal(order: Order, input: UpdateStatusInput): ConflictError | undefined {
  const tx = input.transactionId;
  if (PAYMENT_STATUSES.includes(input.status)) {
    const holds = tx !== undefined && tx === order.paymentHolder;
    const repeat = input.status === 'PAID' && tx !== undefined && tx === order.paidBy;
    if (holds || repeat) return undefined;
    return new ConflictError(
      'NOT_PAYMENT_HOLDER',
      tx
        ? `Transaction ${tx} does not hold the payment of order ${order.orderId}`
        : `${input.status} needs the transactionId that holds the payment of order ${order.orderId}`,
      {
        details: [
          {
            field: 'transactionId',
            issue: tx ? 'does not hold the order' : `is required for ${input.status}`,
          },
        ],
      },
    );
  }
  if (order.paymentHolder && input.status !== order.status) {
    return new ConflictError(
      'ORDER_PAYMENT_IN_PROGRESS',
      `A payment holds order ${order.orderId}; it cannot move to ${input.status} now`,
      {
        details: [
          { field: 'status', issue: 'a payment is in progress', currentStatus: order.status },
        ],
      },
    );
  }
  return undefined;
}
