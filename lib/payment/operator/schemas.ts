import * as v from 'valibot';
import { LISTED_STATUSES } from './payment-list.js';
import { PULSE_WINDOWS, type PulseWindow } from './pulse.js';

/** Query of `GET /payments`: an optional status, a page size (1-100, default 25) and a cursor. */
export const paymentListQuerySchema = v.object({
  status: v.optional(
    v.picklist(
      LISTED_STATUSES as ['SUCCEEDED', 'FAILED', 'PROCESSING'],
      `must be one of ${LISTED_STATUSES.join(', ')}`,
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.string('must be a whole number from 1 to 100'),
      v.regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100'),
      v.transform(Number),
    ),
  ),
  cursor: v.optional(v.string('must be a string')),
});

/** Query of `GET /pulse`: the window (15m, 1h or 6h; default 1h). */
export const pulseQuerySchema = v.object({
  window: v.optional(
    v.picklist(
      Object.keys(PULSE_WINDOWS) as PulseWindow[],
      `must be one of ${Object.keys(PULSE_WINDOWS).join(', ')}`,
    ),
  ),
});
