import * as z from 'zod/mini';
import { amountSchema, currencySchema, idSchema, withMinorUnits } from '../shared/validation.js';
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

/** Body of PUT /orders/{orderId}/status. */
export const updateStatusSchema = z.strictObject({
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }),
  eventId: z.optional(idSchema),
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
