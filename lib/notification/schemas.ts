import { z } from 'zod';
import { idSchema } from '../shared/validation.js';

/** Body of POST /notifications. */
export const sendNotificationSchema = z.strictObject({
  userId: idSchema,
  message: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(1000, { error: 'must be at most 1000 characters' }),
  eventId: idSchema.optional(),
});

/** Query of GET /notifications. */
export const listNotificationsSchema = z.strictObject({
  userId: idSchema,
  limit: z
    .string({ error: 'must be an integer from 1 to 100' })
    .regex(/^\d{1,3}$/, { error: 'must be an integer from 1 to 100' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, { error: 'must be an integer from 1 to 100' })
    .optional(),
  cursor: z.string({ error: 'must be a string' }).max(1024, { error: 'is too long' }).optional(),
});

/** The record on the wire: the internal dedupe key stays inside. */
export function toNotificationView<T extends { dedupeKey?: string }>(record: T) {
  const { dedupeKey: _key, ...view } = record;
  return view;
}
