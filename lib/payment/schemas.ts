import * as z from 'zod/mini';
import { amountSchema, currencySchema, idSchema, withMinorUnits } from '../shared/validation.js';

/** Body of `POST /payments` (an unknown field is a 400); parsing adds `amountMinor` (integer minor units). */
export const paymentRequestSchema = z.pipe(
  z.strictObject({
    transactionId: idSchema,
    orderId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
  }),
  z.transform(withMinorUnits),
);

/** Body of the gateway's `POST /payments/callback` (extra fields the gateway adds are ignored). */
export const gatewayCallbackSchema = z.object({
  transactionId: idSchema,
  status: z.enum(['succeeded', 'failed'], { error: 'must be succeeded or failed' }),
  gatewayReference: idSchema,
  failureReason: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.regex(/^[a-z0-9_]{1,64}$/, { error: 'must be 1-64 characters of a-z 0-9 _' })),
  ),
});

/** Path parameters of `GET /payments/{transactionId}`. */
export const paymentPathSchema = z.object({ transactionId: idSchema });
