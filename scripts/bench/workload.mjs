// @ts-check
/** The orders and payments the bench's parts make: fresh ids, an order, its payment body. */
import { createApi } from '../lib/common/api.mjs';

/** Key prefix of the local notification channel's items (lib/notification/channel.ts). */
export const DELIVERED_PREFIX = 'DELIVERED#';

/** @typedef {{ transactionId: string, orderId: string, userId: string }} Ids */

/** @param {string} prefix @returns {Ids} */
export function newIds(prefix) {
  const run = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { transactionId: `t-${run}`, orderId: `o-${run}`, userId: `u-${run}` };
}

/** @param {Ids} ids */
export const paymentBody = (ids) => ({ ...ids, amount: 12.34, currency: 'USD' });

/** @param {ReturnType<typeof createApi>} call @param {Ids} ids */
export async function createOrder(call, ids) {
  const answer = await call('POST', '/orders', {
    body: { orderId: ids.orderId, userId: ids.userId, amount: 12.34, currency: 'USD' },
  });
  if (answer.status >= 300)
    throw new Error(`POST /orders answered ${answer.status}: ${answer.text.slice(0, 200)}`);
}
