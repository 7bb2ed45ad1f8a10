import {
  ConflictError,
  type ErrorDetail,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableError,
} from '../shared/errors.js';
import type { Currency } from '../shared/money.js';
import { CONFLICT, sleep as realSleep, retryOnConflict } from '../shared/retry-on-conflict.js';
import type {
  HistoryPage,
  HistoryPageRequest,
  OrderCommit,
  OrderRepository,
} from './order-repository.js';
import { type OrderStatus, OrderStatusTransition, PAYMENT_STATUSES } from './status-transition.js';
import type {
  AuditEntry,
  AuditOutcome,
  EventMarker,
  OperationContext,
  Order,
  PendingHoldRow,
} from './types.js';

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

/** Input of {@link createOrder}, already validated. */
export interface CreateOrderInput {
  orderId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
}

/** Result of {@link createOrder}. */
export interface CreateOrderResult {
  created: boolean;
  order: Order;
}

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
  /** Set when the hold was taken in one write: its history row is still on the order. */
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

/** 404 ORDER_NOT_FOUND. */
export function notFound(orderId: string): NotFoundError {
  return new NotFoundError(`Order ${orderId} does not exist`, 'ORDER_NOT_FOUND');
}

/** The fields of an existing order that differ from a create request. */
function differences(existing: Order, input: CreateOrderInput): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (existing.userId !== input.userId) {
    details.push({ field: 'userId', issue: 'differs from the existing order' });
  }
  if (existing.currency !== input.currency) {
    details.push({ field: 'currency', issue: 'differs from the existing order' });
  }
  if (existing.amountMinor !== input.amountMinor) {
    details.push({ field: 'amount', issue: 'differs from the existing order' });
  }
  return details;
}

/**
 * Creates an order in PENDING with its first audit record, in one transaction.
 * Idempotent on orderId: the same body again returns the existing order
 * (recorded as unchanged); another body is a 409 ORDER_ALREADY_EXISTS naming
 * the differing fields (counted on the order as `refusedCreates`, not
 * appended to its history: anyone may call this route).
 */
export async function createOrder(
  deps: OrderServiceDeps,
  input: CreateOrderInput,
  context: OperationContext,
): Promise<CreateOrderResult> {
  const { now, retry } = settings(deps);
  const { repository } = deps;
  return retryOnConflict(async () => {
    const at = now().toISOString();
    const order: Order = {
      ...input,
      status: 'PENDING',
      version: 1,
      auditSeq: 1,
      createdAt: at,
      updatedAt: at,
    };
    const audit: AuditEntry = {
      orderId: input.orderId,
      seq: 1,
      at,
      operation: 'create',
      outcome: 'applied',
      ...context,
      newStatus: 'PENDING',
      version: 1,
    };
    if ((await repository.create(order, audit)) === 'committed') {
      deps.onWrite?.(input.orderId);
      return { created: true, order };
    }
    const existing = await repository.get(input.orderId);
    if (!existing) return CONFLICT; // a concurrent transaction, not an existing order
    const diffs = differences(existing, input);
    if (diffs.length > 0) {
      // Anyone may POST /orders: a refusal is counted on the order, never
      // appended to its history, so the audit trail cannot be flooded.
      await repository.countRefusedCreate(input.orderId);
      throw new ConflictError(
        'ORDER_ALREADY_EXISTS',
        `Order ${input.orderId} already exists with different ${diffs.map((d) => d.field).join(', ')}`,
        { details: diffs },
      );
    }
    const repeat: AuditEntry = {
      orderId: input.orderId,
      seq: existing.auditSeq + 1,
      // Taken after the read, so audit times never run backwards against seq.
      at: now().toISOString(),
      operation: 'create',
      outcome: 'unchanged',
      ...context,
      previousStatus: existing.status,
      newStatus: existing.status,
      detail: 'ORDER_EXISTS_WITH_SAME_BODY',
      version: existing.version,
    };
    const result = await repository.commit({ ...commitOn(existing), audit: repeat });
    if (result === 'conflict') return CONFLICT;
    return { created: false, order: afterCommit(existing, repeat.seq) };
  }, retry);
}

/**
 * Moves an order to `status` if the state machine allows it, recording every
 * attempt in the audit trail in the same transaction as its effect:
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
  const held = heldOrderOf(input, context);
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
      OrderStatusTransition.decide(held.status, input.status).kind === 'apply'
    ) {
      // The payment's result on the order as its hold left it: one conditional
      // write, valid only if nothing happened since (else read, as below).
      const at = now().toISOString();
      const fast = await commitStatus(deps, input, held, {
        base: baseOf(held, at),
        changed: true,
        at,
        asHeld: true,
      });
      if (fast !== 'conflict') return fast;
    }
    const order = await repository.get(input.orderId);
    if (!order) throw notFound(input.orderId);
    const at = now().toISOString();
    const seq = order.auditSeq + 1;
    const base = baseOf(order, at);
    // Records an attempt that leaves the order as it is (repeat, refusal): only
    // the audit counter moves, conditioned on the value read with the order.
    const recordUnchanged = (entry: Pick<AuditEntry, 'outcome' | 'detail' | 'duplicateEvent'>) =>
      repository.commit({
        ...commitOn(order),
        audit: { ...base, ...entry, newStatus: order.status, version: order.version },
      });

    // The eventId's marker is read only when it matters (a refusal, or a write
    // that failed): the happy path writes it as a condition, in one transaction.
    const markerOf = () =>
      input.eventId ? repository.getEventMarker(input.orderId, input.eventId) : undefined;
    const duplicate = async (marker: EventMarker) => {
      const reused = marker.requestedStatus !== input.status;
      const result = await recordUnchanged({
        outcome: reused ? 'rejected' : 'unchanged',
        duplicateEvent: true,
        detail: reused
          ? `EVENT_ID_REUSED: first seen at seq ${marker.seq} asking for ${marker.requestedStatus}`
          : `DUPLICATE_EVENT: first seen at seq ${marker.seq} (${marker.outcome})`,
      });
      if (result === 'conflict') return CONFLICT;
      if (reused) {
        throw new UnprocessableError(
          'EVENT_ID_REUSED',
          `eventId ${input.eventId} was already used to request ${marker.requestedStatus}`,
          { details: [{ field: 'eventId', issue: 'was already used with another status' }] },
        );
      }
      return {
        order: afterCommit(order, seq),
        previousStatus: order.status,
        changed: false,
        outcome: 'unchanged',
        duplicateEvent: true,
        seq,
        originalSeq: marker.seq,
      } satisfies UpdateStatusResult;
    };

    if (isVoidedNonHolder(order, input)) {
      // A replaced (or never) holder whose key was voided: nothing to undo.
      const marker = await markerOf();
      if (marker) return duplicate(marker);
      const result = await recordUnchanged({
        outcome: 'unchanged',
        detail: `VOIDED: transaction ${input.transactionId} never charged and does not hold the order`,
      });
      if (result === 'conflict') return CONFLICT;
      return {
        order: afterCommit(order, seq),
        previousStatus: order.status,
        changed: false,
        outcome: 'unchanged',
        duplicateEvent: false,
        seq,
      } satisfies UpdateStatusResult;
    }
    const decision = OrderStatusTransition.decide(order.status, input.status);
    const refusal = decision.kind === 'illegal' ? undefined : holderRefusal(order, input);
    if (decision.kind === 'illegal' || refusal) {
      // A redelivered event is answered as it was the first time, not judged anew.
      const marker = await markerOf();
      if (marker) return duplicate(marker);
    }
    if (decision.kind === 'illegal') {
      // No event marker: a transition that is early (not stale) may become
      // legal later, so a redelivery must be judged again.
      const result = await recordUnchanged({ outcome: 'rejected', detail: decision.reason });
      if (result === 'conflict') return CONFLICT;
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

    if (refusal) {
      const result = await recordUnchanged({ outcome: 'rejected', detail: refusal.message });
      if (result === 'conflict') return CONFLICT;
      throw refusal;
    }

    const changed = decision.kind === 'apply';
    const result = await commitStatus(deps, input, order, { base, changed, at });
    if (result === 'conflict') {
      // Another writer moved the order, or this eventId was seen before.
      const marker = await markerOf();
      return marker ? duplicate(marker) : CONFLICT;
    }
    return result;
  }, retry);
}

/**
 * The order a payment's hold left, from the hint its status event carries:
 * only for PAID / PAYMENT_FAILED from the transactionId that held it.
 */
function heldOrderOf(input: UpdateStatusInput, context: OperationContext): Order | undefined {
  const hint = input.heldOrder;
  if (!hint || !input.transactionId || !PAYMENT_STATUSES.includes(input.status)) return undefined;
  const { seq, heldAt, ...fields } = hint;
  return {
    ...fields,
    orderId: input.orderId,
    auditSeq: seq,
    paymentHolder: input.transactionId,
    // A hold taken in one write keeps its history row on the order: this
    // result writes it, as the hold wrote it (the write checks that it is).
    ...(heldAt
      ? { holdSeq: seq, pendingHold: freeHoldRow(input.transactionId, heldAt, context) }
      : {}),
  };
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

/**
 * Writes one status operation (applied or unchanged) with its audit record and
 * event marker, conditioned on the order as read; `asHeld` conditions it also
 * on the status, version and holder the hint claimed, so a wrong hint can
 * only fail. 'conflict' when the order moved or the eventId was seen.
 */
async function commitStatus(
  deps: OrderServiceDeps,
  input: UpdateStatusInput,
  order: Order,
  op: {
    base: Omit<AuditEntry, 'outcome' | 'newStatus' | 'version'>;
    changed: boolean;
    at: string;
    asHeld?: boolean;
  },
): Promise<UpdateStatusResult | 'conflict'> {
  const { base, changed, at } = op;
  const seq = base.seq;
  const on = commitOn(order);
  const version = changed ? order.version + 1 : order.version;
  const outcome: AuditOutcome = changed ? 'applied' : 'unchanged';
  const audit: AuditEntry = { ...base, outcome, newStatus: input.status, version };
  // The holder's result ends its hold: PAID names the payer, a decline frees the order.
  const ends = changed && PAYMENT_STATUSES.includes(input.status);
  const set: Partial<Order> = changed
    ? {
        status: input.status,
        version,
        updatedAt: at,
        ...(input.status === 'PAID' ? { paidBy: input.transactionId } : {}),
      }
    : {};
  const result = await deps.repository.commit({
    ...on,
    ...(op.asHeld
      ? {
          expected: {
            status: order.status,
            version: order.version,
            paymentHolder: order.paymentHolder as string,
            ...(on.pendingHold ? { pendingHold: on.pendingHold } : {}),
          },
        }
      : {}),
    audit,
    set,
    remove: ends ? HOLD_ATTRIBUTES : undefined,
    marker: input.eventId
      ? {
          orderId: input.orderId,
          eventId: input.eventId,
          seq,
          outcome,
          requestedStatus: input.status,
          at,
        }
      : undefined,
  });
  if (result === 'conflict') return 'conflict';
  if (changed) deps.onWrite?.(input.orderId);
  return {
    order: withoutHold({ ...afterCommit(order, seq), ...set }, ends),
    previousStatus: order.status,
    changed,
    outcome,
    duplicateEvent: false,
    seq,
  };
}

/**
 * What a commit decided on `order` (as read, or as a hint claims it) is
 * conditioned on, and carries: its auditSeq, and the hold row it still keeps,
 * which this commit writes to the history (seq before its own).
 */
export function commitOn(
  order: Order,
): Pick<OrderCommit, 'orderId' | 'expectedSeq' | 'pendingHold'> {
  return { orderId: order.orderId, expectedSeq: order.auditSeq, pendingHold: pendingHoldOf(order) };
}

/** `order` after a commit on it: at `auditSeq`, its waiting hold row written (commitOn). */
export function afterCommit(order: Order, auditSeq: number): Order {
  const { holdSeq: _seq, pendingHold: _row, ...rest } = order;
  return { ...rest, auditSeq };
}

/**
 * The history row of a hold taken in one write, if the order still keeps it
 * (Order.pendingHold): the next operation writes it, seq before its own.
 * Nothing happened to the order since the hold, so its status and version
 * are the order's.
 */
export function pendingHoldOf(order: Order): AuditEntry | undefined {
  if (order.holdSeq === undefined || !order.pendingHold) return undefined;
  return {
    ...order.pendingHold,
    orderId: order.orderId,
    seq: order.holdSeq,
    previousStatus: order.status,
    newStatus: order.status,
    version: order.version,
  };
}

/**
 * A history page with the hold row the order still keeps (pendingHoldOf):
 * the latest operation, so it ends the last page.
 */
function withPendingHold(
  history: HistoryPage,
  order: Order,
  page: HistoryPageRequest,
): HistoryPage {
  const row = pendingHoldOf(order);
  if (!row || history.lastSeq !== undefined || row.seq <= (page.afterSeq ?? 0)) return history;
  if (history.entries.some((e) => e.seq === row.seq)) return history;
  if (history.entries.length < page.limit) return { entries: [...history.entries, row] };
  // A full last page: the row opens the next one.
  const last = history.entries.at(-1);
  return last ? { ...history, lastSeq: last.seq } : history;
}

/** The attributes that hold an order for a payment: removed together when the hold ends. */
export const HOLD_ATTRIBUTES: (keyof Order)[] = ['paymentHolder', 'holdUntil'];

/** The order after its hold ended (when `ends`). */
export function withoutHold(order: Order, ends = true): Order {
  if (!ends) return order;
  const { paymentHolder: _holder, holdUntil: _until, ...rest } = order;
  return rest;
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

/** The order, or a 404 ORDER_NOT_FOUND. */
export async function getOrder(
  load: (orderId: string) => Promise<Order | undefined>,
  orderId: string,
): Promise<Order> {
  const order = await load(orderId);
  if (!order) throw notFound(orderId);
  return order;
}

/** One page of the order's audit trail in seq order, or a 404 for an unknown order. */
export async function getOrderHistory(
  repository: OrderRepository,
  orderId: string,
  page: HistoryPageRequest = { limit: 100 },
): Promise<HistoryPage & { refusedCreates: number }> {
  const [history, order] = await Promise.all([
    repository.history(orderId, page),
    repository.get(orderId),
  ]);
  if (!order) throw notFound(orderId);
  return { ...withPendingHold(history, order, page), refusedCreates: order.refusedCreates ?? 0 };
}
