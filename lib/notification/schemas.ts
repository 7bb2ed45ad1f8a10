import * as v from 'valibot';
import { idSchema, pageLimitSchema, textSchema } from '../shared/validation.js';

/** Body of POST /notifications. */
export const sendNotificationSchema = v.strictObject({
  userId: idSchema,
  message: textSchema(1000),
  eventId: v.optional(idSchema),
});

/** Query of GET /notifications. */
export const listNotificationsSchema = v.strictObject({
  userId: idSchema,
  limit: pageLimitSchema,
  cursor: v.optional(v.pipe(v.string('must be a string'), v.maxLength(1024, 'is too long'))),
});

/** The record on the wire: the internal dedupe key stays inside. */
export function toNotificationView<T extends { dedupeKey?: string }>(record: T) {
  const { dedupeKey: _key, ...view } = record;
  return view;
}
