import * as z from 'zod/mini';
import { idSchema, pageLimitSchema } from '../shared/validation.js';

/** Body of POST /notifications. */
export const sendNotificationSchema = z.strictObject({
  userId: idSchema,
  message: z
    .string({ error: 'must be a string' })
    .check(
      z.minLength(1, { error: 'must not be empty' }),
      z.maxLength(1000, { error: 'must be at most 1000 characters' }),
    ),
  eventId: z.optional(idSchema),
});

/** Query of GET /notifications. */
export const listNotificationsSchema = z.strictObject({
  userId: idSchema,
  limit: pageLimitSchema,
  cursor: z.optional(
    z.string({ error: 'must be a string' }).check(z.maxLength(1024, { error: 'is too long' })),
  ),
});

/** The record on the wire: the internal dedupe key stays inside. */
export function toNotificationView<T extends { dedupeKey?: string }>(record: T) {
  const { dedupeKey: _key, ...view } = record;
  return view;
}
