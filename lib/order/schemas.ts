import * as z from 'zod/mini';
import {
  amountSchema,
  currencySchema,
  idSchema,
  pageLimitSchema,
  withMinorUnits,
} from '../shared/validation.js';
import { ORDER_STATUSES } from './status-transition.js';

/** Body of POST /orders. */
export const createOrderSchema = z.pipe(
  z.strictObject({
    orderId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
  }),
  z.transform(withMinorUnits),
);

const countSchema = (min: number) =>
  z
    .int({ error: 'must be an integer' })
    .check(z.minimum(min, { error: `must be at least ${min}` }));

/**
 * The order as the payment's hold left it (the hold's answer): with it, the
 * payment's result is applied in one conditional write when nothing has
 * happened to the order since; otherwise the order is read as usual. Only
 * what the write is conditioned on decides anything.
 */
export const heldOrderSchema = z.strictObject({
  seq: countSchema(1),
  heldAt: z.optional(z.string({ error: 'must be a string' })),
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }),
  version: countSchema(1),
  userId: idSchema,
  amountMinor: countSchema(0),
  currency: currencySchema,
  createdAt: z.string({ error: 'must be a string' }),
  updatedAt: z.string({ error: 'must be a string' }),
});

/** Body of PUT /orders/{orderId}/status. */
export const updateStatusSchema = z.strictObject({
  heldOrder: z.optional(heldOrderSchema),
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }),
  eventId: z.optional(idSchema),
  transactionId: z.optional(idSchema),
  reason: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(500, { error: 'must be at most 500 characters' }),
      ),
  ),
});

/** Path parameters of /orders/{orderId}/... */
export const orderPathSchema = z.object({ orderId: idSchema });

/** Body of PUT /orders/{orderId}/payment: the payment asking to hold the order. */
export const holdSchema = z.pipe(
  z.strictObject({
    transactionId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
    replaces: z.optional(idSchema),
  }),
  z.transform(withMinorUnits),
);

/** Body of POST /orders/{orderId}/payment/release. */
export const releaseSchema = z.strictObject({
  transactionId: idSchema,
  reason: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(500, { error: 'must be at most 500 characters' }),
      ),
  ),
});

/** Query of GET /orders/{orderId}/history: a page of `limit` entries after `cursor`. */
export const historyQuerySchema = z.strictObject({
  limit: pageLimitSchema,
  cursor: z.optional(
    z.pipe(
      z
        .string({ error: 'must be a string' })
        .check(z.regex(/^s[1-9]\d{0,15}$/, { error: 'is not a valid cursor' })),
      z.transform((c: string) => Number(c.slice(1))),
    ),
  ),
});

/** The cursor that continues a history page after `seq`. */
export function historyCursor(seq: number): string {
  return `s${seq}`;
}
