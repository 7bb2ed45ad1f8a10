import * as v from 'valibot';
import { amountSchema, currencySchema, idSchema, withMinorUnits } from '../shared/validation.js';

/** Body of `POST /payments` (an unknown field is a 400); parsing adds `amountMinor` (integer minor units). */
export const paymentRequestSchema = withMinorUnits(
  v.strictObject({
    transactionId: idSchema,
    orderId: idSchema,
    userId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
  }),
);

/** Body of the gateway's `POST /payments/callback` (extra fields the gateway adds are ignored). */
export const gatewayCallbackSchema = v.object({
  transactionId: idSchema,
  status: v.picklist(['succeeded', 'failed'], 'must be succeeded or failed'),
  gatewayReference: idSchema,
  failureReason: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(/^[a-z0-9_]{1,64}$/, 'must be 1-64 characters of a-z 0-9 _'),
    ),
  ),
});

/** Path parameters of `GET /payments/{transactionId}`. */
export const paymentPathSchema = v.object({ transactionId: idSchema });
