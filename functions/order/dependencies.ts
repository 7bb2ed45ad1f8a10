import { ReadThroughCache } from '../../lib/cache/read-through-cache.js';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import type { OrderServiceDeps } from '../../lib/order/order-service.js';
import type { Order } from '../../lib/order/types.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createObservability } from '../../lib/shared/observability.js';

// Configuration is read once, here, per container. Each order function bundles
// its own copy of this module, so the cache is per container and per function.

/** The order service's logger, tracer and metrics. */
export const observability = createObservability('order');

/** The order service's logger. */
export const logger = observability.logger;

/** The order store. */
export const repository = new DynamoOrderRepository({
  doc: dynamoFromEnv().doc,
  ordersTable: requireEnv('ORDERS_TABLE'),
  auditTable: requireEnv('ORDER_AUDIT_TABLE'),
});

/**
 * Read-through cache of GET /orders/{orderId}. Writers in this container
 * invalidate it; writes made by other functions become visible within the TTL.
 */
export const orderCache = new ReadThroughCache<Order>({
  ttlMs: envInt('ORDER_CACHE_TTL_MS', 250),
  jitterRatio: 0.2,
  maxEntries: 1000,
});

/** Collaborators of the order use cases. */
export const orderDeps: OrderServiceDeps = {
  repository,
  onWrite: (orderId) => orderCache.invalidate(orderId),
};

/** The use cases' collaborators for one request: no retry starts within 1 s of the Lambda timeout. */
export function depsFor(context: { getRemainingTimeInMillis(): number }): OrderServiceDeps {
  return { ...orderDeps, deadline: Date.now() + context.getRemainingTimeInMillis() - 1000 };
}

/** The verified caller of an internal route, or who called a public one. */
export function callerOf(event: { caller?: { caller: string } }, fallback: string): string {
  return event.caller?.caller ?? fallback;
}
