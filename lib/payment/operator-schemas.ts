import * as z from 'zod/mini';
import { ID_PATTERN } from '../shared/validation.js';
import { LISTED_STATUSES } from './payment-list.js';

const id = z.string().check(z.regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'));

/** Query of `GET /payments`: an optional status, a page size (1-100, default 25) and a cursor. */
export const paymentListQuerySchema = z.object({
  status: z.optional(
    z.enum(LISTED_STATUSES as ['SUCCEEDED', 'FAILED', 'PROCESSING'], {
      error: `must be one of ${LISTED_STATUSES.join(', ')}`,
    }),
  ),
  limit: z.optional(
    z.pipe(
      z.string().check(z.regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100')),
      z.transform(Number),
    ),
  ),
  cursor: z.optional(z.string()),
});

/** Path of `POST /payments/{transactionId}/redrive`. */
export const redrivePathSchema = z.object({ transactionId: id });

/** Body of `POST /payments/{transactionId}/redrive`: one event, or (empty body) every DEAD one. */
export const redriveBodySchema = z.strictObject({ eventId: z.optional(id) });
