import * as z from 'zod/mini';
import { LISTED_STATUSES } from './payment-list.js';

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
