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
  reason: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(500, { error: 'must be at most 500 characters' })
    .optional(),
});

/** Path parameters of /orders/{orderId}/... */
export const orderPathSchema = z.object({ orderId: idSchema });
