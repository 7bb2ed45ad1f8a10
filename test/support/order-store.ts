import { afterAll } from 'vitest';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import type { OrderServiceDeps } from '../../lib/order/order-service.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';

/**
 * The order service's store on DynamoDB Local, as the integration tests of
 * orders use it: the document client (closed after the file), the
 * repository over the test stage's tables, and the use cases' deps.
 */
export function orderStore() {
  const { client, doc } = dynamoFromEnv();
  afterAll(() => client.destroy());
  const ordersTable = process.env.ORDERS_TABLE ?? '';
  const auditTable = process.env.ORDER_AUDIT_TABLE ?? '';
  const repository = new DynamoOrderRepository({ doc, ordersTable, auditTable });
  const deps: OrderServiceDeps = { repository };
  return { doc, ordersTable, auditTable, repository, deps };
}

/** A unique id for one test's rows (the tables are shared). */
export const uid = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
