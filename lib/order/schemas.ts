import { z } from 'zod';
import { amountSchema, currencySchema, idSchema, withMinorUnits } from '../shared/validation.js';
import { ORDER_STATUSES } from './status-transition.js';

/** Body of POST /orders. */
export const createOrderSchema = z
  .strictObject({
    orderId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
  })
  .transform(withMinorUnits);

/** Body of PUT /orders/{orderId}/status. */
export const updateStatusSchema = z.strictObject({
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }),
  eventId: idSchema.optional(),
  transactionId: idSchema.optional(),
  reason: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(500, { error: 'must be at most 500 characters' })
    .optional(),
});

/** Path parameters of /orders/{orderId}/... */
export const orderPathSchema = z.object({ orderId: idSchema });

/** Body of PUT /orders/{orderId}/payment: the payment asking to hold the order. */
export const holdSchema = z
  .strictObject({
    transactionId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
    replaces: idSchema.optional(),
  })
  .transform(withMinorUnits);

/** Body of POST /orders/{orderId}/payment/release. */
export const releaseSchema = z.strictObject({
  transactionId: idSchema,
  reason: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(500, { error: 'must be at most 500 characters' })
    .optional(),
});

/** Query of GET /orders/{orderId}/history: a page of `limit` entries after `cursor`. */
export const historyQuerySchema = z.strictObject({
  limit: z
    .string({ error: 'must be an integer from 1 to 100' })
    .regex(/^\d{1,3}$/, { error: 'must be an integer from 1 to 100' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, { error: 'must be an integer from 1 to 100' })
    .optional(),
  cursor: z
    .string({ error: 'must be a string' })
    .regex(/^s[1-9]\d{0,15}$/, { error: 'is not a valid cursor' })
    .transform((c) => Number(c.slice(1)))
    .optional(),
});

/** The cursor that continues a history page after `seq`. */
export function historyCursor(seq: number): string {
  return `s${seq}`;
}
