import * as v from 'valibot';
import {
  amountSchema,
  currencySchema,
  idSchema,
  pageLimitSchema,
  textSchema,
  withMinorUnits,
} from '../shared/validation.js';
import { ORDER_STATUSES } from './status-transition.js';

/** Body of POST /orders. */
export const createOrderSchema = withMinorUnits(
  v.strictObject({
    orderId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
  }),
);

const countSchema = (min: number) =>
  v.pipe(
    v.number('must be an integer'),
    v.safeInteger('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
  );

const statusSchema = v.picklist(ORDER_STATUSES, `must be one of ${ORDER_STATUSES.join(', ')}`);

/**
 * The order as the payment's hold left it (the hold's answer): with it, the
 * payment's result is applied in one conditional write when nothing has
 * happened to the order since; otherwise the order is read as usual. Only
 * what the write is conditioned on decides anything.
 */
export const heldOrderSchema = v.strictObject(
  {
    seq: countSchema(1),
    heldAt: v.optional(v.string('must be a string')),
    status: statusSchema,
    version: countSchema(1),
    userId: idSchema,
    amountMinor: countSchema(0),
    currency: currencySchema,
    createdAt: v.string('must be a string'),
    updatedAt: v.string('must be a string'),
  },
  'must be an object',
);

/** Body of PUT /orders/{orderId}/status. */
export const updateStatusSchema = v.strictObject({
  heldOrder: v.optional(heldOrderSchema),
  status: statusSchema,
  eventId: v.optional(idSchema),
  transactionId: v.optional(idSchema),
  reason: v.optional(textSchema(500)),
  /** PAYMENT_FAILED of a payment whose key was voided at the gateway: it never charged. */
  voided: v.optional(v.boolean('must be true or false')),
});

/** Path parameters of /orders/{orderId}/... */
export const orderPathSchema = v.object({ orderId: idSchema });

/** Body of PUT /orders/{orderId}/payment: the payment asking to hold the order. */
export const holdSchema = withMinorUnits(
  v.strictObject({
    transactionId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
    replaces: v.optional(idSchema),
  }),
);

/** Body of POST /orders/{orderId}/payment/release. */
export const releaseSchema = v.strictObject({
  transactionId: idSchema,
  reason: v.optional(textSchema(500)),
});

/**
 * Query of GET /orders/{orderId}/history: a page of `limit` entries after
 * `cursor`. A cursor is `s<seq>`; a seq past 2^53 - 1 is no seq we wrote and
 * cannot be sent to DynamoDB as a number (it was a 503 once).
 */
export const historyQuerySchema = v.strictObject({
  limit: pageLimitSchema,
  cursor: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(/^s[1-9]\d{0,15}$/, 'is not a valid cursor'),
      v.transform((c: string) => Number(c.slice(1))),
      v.safeInteger('is not a valid cursor'),
    ),
  ),
});

/** The cursor that continues a history page after `seq`. */
export function historyCursor(seq: number): string {
  return `s${seq}`;
}
