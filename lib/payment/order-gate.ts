import {
  type AppError,
  ConflictError,
  type ErrorDetail,
  ServiceUnavailableError,
  UnprocessableError,
} from '../shared/errors.js';
import type { Fault } from '../shared/fault-injection.js';
import { type InternalClient, isDownstreamError } from '../shared/internal-client.js';
import { fromMinorUnits } from '../shared/money.js';
import type { PaymentRequest } from './types.js';

/** The fault target that reaches the order's hold route (`hold=status:503`); `order=` faults reach only the status events. */
export const HOLD_FAULT_TARGET = 'hold';

/** What the order answered to a hold that another payment has. */
export interface HeldElsewhere {
  kind: 'held-elsewhere';
  /** The transactionId that holds the order. */
  holder: string;
  /** True when the holder's lease has passed: it may be replaced if its charge never reached the gateway. */
  leaseOver: boolean;
  /** The order's own refusal, to answer with if the hold stays. */
  error: AppError;
}

/** The order's answer to a hold request. */
export type HoldAnswer =
  | {
      kind: 'held';
      orderStatus: string;
      /** True when this call took the hold (false: this transactionId had it, or paid the order). */
      acquired: boolean;
      /**
       * The order as the hold left it, when it is payable: the payment's status
       * event carries it back (`heldOrder`), so that the order can apply the
       * result in one conditional write if nothing happened since.
       */
      heldOrder?: HeldOrderHint;
    }
  | HeldElsewhere;

/** The fields of the hold's answer that make the `heldOrder` hint of a status event. */
const HELD_ORDER_FIELDS = {
  seq: 'number',
  status: 'string',
  version: 'number',
  userId: 'string',
  amountMinor: 'number',
  currency: 'string',
  createdAt: 'string',
  updatedAt: 'string',
} as const;

/** The order as a hold left it: opaque to the payment, checked by the order. */
export type HeldOrderHint = { [K in keyof typeof HELD_ORDER_FIELDS]: unknown } & {
  heldAt?: string;
};

/** The hint in a hold's answer, if the answer has every field of it. */
function heldOrderOf(body: Record<string, unknown>): HeldOrderHint | undefined {
  const hint: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(HELD_ORDER_FIELDS)) {
    if (typeof body[field] !== type) return undefined;
    hint[field] = body[field];
  }
  // A hold taken in one write: its history row is written with the result.
  if (typeof body.heldAt === 'string') hint.heldAt = body.heldAt;
  return hint as HeldOrderHint;
}

/** One call's context. */
export interface GateContext {
  correlationId: string;
  faults: Fault[];
  /** Epoch ms after which no call may still run. */
  deadline?: number;
}

/** The order as the payment service sees it: the arbiter of step 1b (docs/design.md). */
export interface OrderGate {
  /**
   * Asks the order whether this payment may charge it, and holds it if so.
   * Throws the contract's refusal (422 ORDER_NOT_FOUND / ORDER_MISMATCH, 409
   * ORDER_NOT_PAYABLE) or a 503 ORDER_UNAVAILABLE; answers `held-elsewhere`
   * when another transactionId holds it.
   */
  hold(request: PaymentRequest, ctx: GateContext, replaces?: string): Promise<HoldAnswer>;
  /** Gives the order back (only the holder can); best effort is the caller's call. */
  release(
    request: Pick<PaymentRequest, 'orderId' | 'transactionId'>,
    reason: string,
    ctx: GateContext,
  ): Promise<void>;
}

/** The `error` of our own error format in a body, if it is one. */
function errorOf(body: unknown): { code?: string; message?: string; details?: ErrorDetail[] } {
  const error = (body as { error?: unknown } | undefined)?.error;
  return error && typeof error === 'object' ? (error as Record<string, never>) : {};
}

function unavailable(orderId: string, cause?: unknown, retryAfterSeconds = 1): AppError {
  return new ServiceUnavailableError(
    'ORDER_UNAVAILABLE',
    `The order service could not confirm that order ${orderId} may be paid; nothing was charged. Retry later`,
    { cause, headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}

/** Faults meant for the hold, addressed to the order service as the client expects. */
function holdFaults(faults: Fault[]): Fault[] {
  return faults
    .filter((f) => f.target === HOLD_FAULT_TARGET)
    .map((f) => ({ ...f, target: 'order' }));
}

/**
 * Maps the order's answer to a hold onto the payment's contract: the order's
 * 404 is the payment's 422 ORDER_NOT_FOUND (the request names an order that
 * is not there), its refusals pass through with their details, and anything
 * that is not an answer (5xx, timeout, open breaker, 401/403 while keys
 * rotate) is a 503 with Retry-After: nothing was charged, a retry may succeed.
 */
function toHoldAnswer(status: number, body: unknown, orderId: string): HoldAnswer {
  if (status >= 200 && status < 300) {
    const held = (body ?? {}) as Record<string, unknown>;
    const heldOrder = heldOrderOf(held);
    return {
      kind: 'held',
      orderStatus: String(held.status ?? ''),
      acquired: held.acquired === true,
      ...(heldOrder ? { heldOrder } : {}),
    };
  }
  const error = errorOf(body);
  const details = Array.isArray(error.details) ? error.details : [];
  if (status === 404) {
    throw new UnprocessableError(
      'ORDER_NOT_FOUND',
      `Order ${orderId} does not exist; nothing was charged`,
      {
        details: [{ field: 'orderId', issue: 'no such order' }],
      },
    );
  }
  if (status === 422 && error.code === 'ORDER_MISMATCH') {
    throw new UnprocessableError(
      'ORDER_MISMATCH',
      `${error.message ?? 'The order does not match'}; nothing was charged`,
      {
        details,
      },
    );
  }
  if (status === 409 && error.code === 'ORDER_NOT_PAYABLE') {
    throw new ConflictError(
      'ORDER_NOT_PAYABLE',
      `${error.message ?? 'The order cannot be paid'}; nothing was charged`,
      {
        details,
      },
    );
  }
  if (status === 409 && error.code === 'ORDER_PAYMENT_IN_PROGRESS') {
    const detail = (details[0] ?? {}) as {
      holder?: unknown;
      leaseOver?: unknown;
      retryAfterSeconds?: unknown;
    };
    const wait = Number(detail.retryAfterSeconds);
    return {
      kind: 'held-elsewhere',
      holder: String(detail.holder ?? ''),
      leaseOver: detail.leaseOver === true,
      error: inProgress(orderId, Number.isFinite(wait) && wait >= 1 ? wait : undefined),
    };
  }
  throw unavailable(orderId, new Error(`order answered ${status} ${error.code ?? ''}`));
}

/** 409 ORDER_PAYMENT_IN_PROGRESS as the payment answers it (the holder's id stays inside). */
export function inProgress(orderId: string, retryAfterSeconds: number | undefined): AppError {
  return new ConflictError(
    'ORDER_PAYMENT_IN_PROGRESS',
    `Another payment for order ${orderId} is in progress; nothing was charged. Retry later`,
    {
      headers: { 'Retry-After': String(retryAfterSeconds ?? 1) },
      details: [{ field: 'orderId', issue: 'another transactionId holds the order' }],
    },
  );
}

/** The {@link OrderGate} over HTTP: `PUT /orders/{id}/payment` and `POST /orders/{id}/payment/release`. */
export function createOrderGate(client: InternalClient): OrderGate {
  return {
    async hold(request, ctx, replaces) {
      const path = `/orders/${encodeURIComponent(request.orderId)}/payment`;
      let status: number;
      let body: unknown;
      try {
        ({ status, body } = await client.send({
          service: 'order',
          method: 'PUT',
          path,
          body: {
            transactionId: request.transactionId,
            userId: request.userId,
            amount: fromMinorUnits(request.amountMinor, request.currency),
            currency: request.currency,
            ...(replaces ? { replaces } : {}),
          },
          // A hold is idempotent per transactionId: safe to retry.
          idempotencyKey: request.transactionId,
          correlationId: ctx.correlationId,
          faults: holdFaults(ctx.faults),
          deadline: ctx.deadline,
        }));
      } catch (error) {
        const after =
          isDownstreamError(error) && error.retryAfterMs ? Math.ceil(error.retryAfterMs / 1000) : 1;
        throw unavailable(request.orderId, error, Math.max(1, after));
      }
      return toHoldAnswer(status, body, request.orderId);
    },

    async release(request, reason, ctx) {
      await client.send({
        service: 'order',
        method: 'POST',
        path: `/orders/${encodeURIComponent(request.orderId)}/payment/release`,
        body: { transactionId: request.transactionId, reason },
        idempotencyKey: `release:${request.transactionId}`,
        correlationId: ctx.correlationId,
        deadline: ctx.deadline,
      });
    },
  };
}
