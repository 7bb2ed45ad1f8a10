import { ConflictError } from '../shared/errors.js';
import type { Currency } from '../shared/money.js';
import { CONFLICT, retryOnConflict } from '../shared/retry-on-conflict.js';
import { commitOperation, type OrderServiceDeps, settings } from './order-commit.js';
import { differingFields } from './order-fields.js';
import { settlePending } from './order-history.js';
import type { AuditEntry, OperationContext, Order } from './types.js';

/** Input of {@link createOrder}, already validated. */
export interface CreateOrderInput {
  orderId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
}

/** Result of {@link createOrder}. */
export interface CreateOrderResult {
  created: boolean;
  order: Order;
}

/**
 * Creates an order in PENDING with its first history row, in one conditional
 * write (the row waits in the order's log, then is copied to the history
 * table). Idempotent on orderId: the same body again returns the existing
 * order (recorded as unchanged); another body is a 409 ORDER_ALREADY_EXISTS
 * naming the differing fields (counted on the order as `refusedCreates`, not
 * appended to its history: anyone may call this route).
 */
export async function createOrder(
  deps: OrderServiceDeps,
  input: CreateOrderInput,
  context: OperationContext,
): Promise<CreateOrderResult> {
  const { now, retry } = settings(deps);
  const { repository } = deps;
  const known = new Set<number>();
  return retryOnConflict(async () => {
    const at = now().toISOString();
    const audit: AuditEntry = {
      orderId: input.orderId,
      seq: 1,
      at,
      operation: 'create',
      outcome: 'applied',
      ...context,
      newStatus: 'PENDING',
      version: 1,
    };
    const { orderId: _id, seq: _seq, ...row } = audit;
    const order: Order = {
      ...input,
      status: 'PENDING',
      version: 1,
      auditSeq: 1,
      createdAt: at,
      updatedAt: at,
      log: { 1: row },
      events: {},
    };
    if ((await repository.create(order)) === 'committed') {
      await repository.writeHistory([audit]);
      deps.onWrite?.(input.orderId);
      return { created: true, order };
    }
    const existing = await repository.get(input.orderId);
    if (!existing) return CONFLICT; // a concurrent writer, not an existing order
    const diffs = differingFields(
      existing,
      input,
      ['userId', 'currency', 'amount'],
      'differs from the existing order',
    );
    if (diffs.length > 0) {
      // Anyone may POST /orders: a refusal is counted on the order, never
      // appended to its history, so the audit trail cannot be flooded.
      await repository.countRefusedCreate(input.orderId);
      throw new ConflictError(
        'ORDER_ALREADY_EXISTS',
        `Order ${input.orderId} already exists with different ${diffs.map((d) => d.field).join(', ')}`,
        { details: diffs },
      );
    }
    const settled = await settlePending(repository, existing, known);
    const repeat: AuditEntry = {
      orderId: input.orderId,
      seq: existing.auditSeq + 1,
      // Taken after the read, so audit times never run backwards against seq.
      at: now().toISOString(),
      operation: 'create',
      outcome: 'unchanged',
      ...context,
      previousStatus: existing.status,
      newStatus: existing.status,
      detail: 'ORDER_EXISTS_WITH_SAME_BODY',
      version: existing.version,
    };
    const stored = await commitOperation(
      deps,
      { orderId: input.orderId, expectedSeq: existing.auditSeq, audit: repeat, settled },
      { changed: false },
    );
    if (stored === 'conflict') return CONFLICT;
    return { created: false, order: stored };
  }, retry);
}
