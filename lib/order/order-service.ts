import { notFound } from './order-history.js';
import type { Order } from './types.js';

// The order service's use cases, one story per file, in one import for the
// handlers: creation, status events, the payment hold, the history.
export { type CreateOrderInput, type CreateOrderResult, createOrder } from './create-order.js';
export type { OrderServiceDeps } from './order-commit.js';
export { getOrderHistory } from './order-history.js';
export {
  type HeldOrder,
  type UpdateStatusInput,
  type UpdateStatusResult,
  updateOrderStatus,
} from './update-status.js';

/** The order, or a 404 ORDER_NOT_FOUND. */
export async function getOrder(
  load: (orderId: string) => Promise<Order | undefined>,
  orderId: string,
): Promise<Order> {
  const order = await load(orderId);
  if (!order) throw notFound(orderId);
  return order;
}
