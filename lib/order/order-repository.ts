import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, isTransactionCanceled } from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import type { AuditEntry, EventMarker, Order, PendingHoldRow } from './types.js';

/** One atomic write: an audit record, the counter bump it needs, and optionally a change and an event marker. */
export interface OrderCommit {
  orderId: string;
  /** The auditSeq read before deciding; the commit fails if it moved. */
  expectedSeq: number;
  /**
   * Also required of the stored order (when deciding from a hint instead of a
   * read): these fields, and the pending hold row the hint names, or none.
   */
  expected?: Pick<Order, 'status' | 'version'> & {
    paymentHolder: string;
    pendingHold?: Pick<AuditEntry, 'seq' | 'at' | 'correlationId' | 'caller'>;
  };
  /** A hold's pending history row (Order.pendingHold) to write now, before this operation's. */
  pendingHold?: AuditEntry;
  audit: AuditEntry;
  /** Attributes the operation sets on the order (status, version, hold...). */
  set?: Partial<Omit<Order, 'orderId' | 'auditSeq'>>;
  /** Attributes the operation removes from the order (e.g. a released hold). */
  remove?: (keyof Order)[];
  /** Remember this eventId (first time it is seen). */
  marker?: EventMarker;
}

/** What {@link OrderRepository.holdIfFree} takes. */
export interface FreeHold {
  orderId: string;
  transactionId: string;
  userId: string;
  amountMinor: number;
  currency: string;
  payableStatuses: readonly string[];
  holdUntil: string;
  row: PendingHoldRow;
}

/** Order attributes of a hold's pending history row. */
const PENDING_HOLD_ATTRIBUTES = ['holdSeq', 'pendingHold'] as const;

/** Result of a conditional write: done, or someone else wrote first (re-read and retry). */
export type CommitResult = 'committed' | 'conflict';

/** Persistence of orders, their audit trail and processed event ids. */
export interface OrderRepository {
  /** The order, read strongly consistent; undefined when it does not exist. */
  get(orderId: string): Promise<Order | undefined>;
  /** The marker of an already processed eventId, if any. */
  getEventMarker(orderId: string, eventId: string): Promise<EventMarker | undefined>;
  /** Creates the order with its first audit record; 'conflict' when the orderId exists. */
  create(order: Order, audit: AuditEntry): Promise<CommitResult>;
  /** Applies one operation atomically, conditioned on the auditSeq read. */
  commit(commit: OrderCommit): Promise<CommitResult>;
  /**
   * Holds a free order in one write when it matches and is payable, keeping
   * the hold's history row on the order (`row`, written with the next
   * operation); undefined when any condition fails (the caller reads and decides).
   */
  holdIfFree(hold: FreeHold): Promise<Order | undefined>;
  /** Counts a refused create on the order instead of appending it to the history. */
  countRefusedCreate(orderId: string): Promise<void>;
  /** One page of the audit trail in seq order, starting after `afterSeq`. */
  history(orderId: string, page: HistoryPageRequest): Promise<HistoryPage>;
}

/** Which page of the history to read. */
export interface HistoryPageRequest {
  limit: number;
  /** The last seq of the previous page. */
  afterSeq?: number;
}

/** One page of the history; `lastSeq` is set when more may follow. */
export interface HistoryPage {
  entries: AuditEntry[];
  lastSeq?: number;
}

/** Options of {@link DynamoOrderRepository}. */
export interface DynamoOrderRepositoryOptions {
  doc: DynamoDBDocumentClient;
  ordersTable: string;
  auditTable: string;
}

// Event markers share the orders table: '#' is not allowed in ids, so a marker
// key can never collide with (or be fetched as) an order.
const markerKey = (orderId: string, eventId: string) => `EVENT#${orderId}#${eventId}`;

function unavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('ORDER_STORE_UNAVAILABLE', 'The order store is unavailable', {
    cause,
    headers: { 'Retry-After': '1' },
  });
}

/** DynamoDB adapter: orders + markers in ORDERS_TABLE, the audit trail in ORDER_AUDIT_TABLE. */
export class DynamoOrderRepository implements OrderRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #orders: string;
  readonly #audit: string;

  constructor(options: DynamoOrderRepositoryOptions) {
    this.#doc = options.doc;
    this.#orders = options.ordersTable;
    this.#audit = options.auditTable;
  }

  async get(orderId: string): Promise<Order | undefined> {
    try {
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#orders, Key: { orderId }, ConsistentRead: true }),
      );
      return Item as Order | undefined;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async getEventMarker(orderId: string, eventId: string): Promise<EventMarker | undefined> {
    try {
      const { Item } = await this.#doc.send(
        new GetCommand({
          TableName: this.#orders,
          Key: { orderId: markerKey(orderId, eventId) },
          ConsistentRead: true,
        }),
      );
      if (!Item) return undefined;
      const { orderId: _key, targetOrderId, ...rest } = Item;
      return { ...rest, orderId: targetOrderId } as EventMarker;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async create(order: Order, audit: AuditEntry): Promise<CommitResult> {
    return this.#transact({
      TransactItems: [
        {
          Put: {
            TableName: this.#orders,
            Item: order,
            ConditionExpression: 'attribute_not_exists(orderId)',
          },
        },
        { Put: this.#auditPut(audit) },
      ],
    });
  }

  async commit(commit: OrderCommit): Promise<CommitResult> {
    const names: Record<string, string> = { '#seq': 'auditSeq' };
    const values: Record<string, unknown> = {
      ':expected': commit.expectedSeq,
      ':seq': commit.audit.seq,
    };
    const sets = ['#seq = :seq'];
    for (const [key, value] of Object.entries(commit.set ?? {})) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    const removed: string[] = [
      ...(commit.remove ?? []),
      ...(commit.pendingHold ? PENDING_HOLD_ATTRIBUTES : []),
    ];
    const removes = removed.map((key) => {
      names[`#${key}`] = key;
      return `#${key}`;
    });
    const update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    let condition = 'attribute_exists(orderId) AND #seq = :expected';
    if (commit.expected) {
      Object.assign(names, {
        '#xStatus': 'status',
        '#xVersion': 'version',
        '#xHolder': 'paymentHolder',
      });
      Object.assign(values, {
        ':xStatus': commit.expected.status,
        ':xVersion': commit.expected.version,
        ':xHolder': commit.expected.paymentHolder,
      });
      condition += ' AND #xStatus = :xStatus AND #xVersion = :xVersion AND #xHolder = :xHolder';
      const pending = commit.expected.pendingHold;
      names['#xHoldSeq'] = 'holdSeq';
      if (pending) {
        Object.assign(names, { '#xRow': 'pendingHold', '#xAt': 'at' });
        Object.assign(values, {
          ':xHoldSeq': pending.seq,
          ':xAt': pending.at,
          ':xCorr': pending.correlationId,
          ':xCaller': pending.caller,
        });
        condition +=
          ' AND #xHoldSeq = :xHoldSeq AND #xRow.#xAt = :xAt AND #xRow.correlationId = :xCorr AND #xRow.caller = :xCaller';
      } else {
        condition += ' AND attribute_not_exists(#xHoldSeq)';
      }
    }
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.#orders,
          Key: { orderId: commit.orderId },
          UpdateExpression: update,
          // Optimistic concurrency: every operation bumps auditSeq, so this
          // fails if anything happened to the order since it was read.
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      { Put: this.#auditPut(commit.audit) },
    ];
    if (commit.pendingHold) items.push({ Put: this.#auditPut(commit.pendingHold) });
    if (commit.marker) {
      const { orderId, ...marker } = commit.marker;
      items.push({
        Put: {
          TableName: this.#orders,
          Item: { ...marker, orderId: markerKey(orderId, marker.eventId), targetOrderId: orderId },
          ConditionExpression: 'attribute_not_exists(orderId)',
        },
      });
    }
    return this.#transact({ TransactItems: items });
  }

  async holdIfFree(hold: FreeHold): Promise<Order | undefined> {
    const statuses = hold.payableStatuses.map((_s, i) => `:payable${i}`);
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#orders,
          Key: { orderId: hold.orderId },
          UpdateExpression:
            'SET paymentHolder = :tx, holdUntil = :until, auditSeq = auditSeq + :one, holdSeq = auditSeq + :one, pendingHold = :row',
          ConditionExpression: `attribute_exists(orderId) AND userId = :user AND amountMinor = :amount AND currency = :currency AND #status IN (${statuses.join(', ')}) AND attribute_not_exists(paymentHolder) AND attribute_not_exists(holdSeq)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':tx': hold.transactionId,
            ':until': hold.holdUntil,
            ':one': 1,
            ':row': hold.row,
            ':user': hold.userId,
            ':amount': hold.amountMinor,
            ':currency': hold.currency,
            ...Object.fromEntries(hold.payableStatuses.map((s, i) => [`:payable${i}`, s])),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as Order;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw unavailable(error);
    }
  }

  async countRefusedCreate(orderId: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#orders,
          Key: { orderId },
          UpdateExpression: 'ADD refusedCreates :one',
          ConditionExpression: 'attribute_exists(orderId)',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw unavailable(error);
    }
  }

  async history(orderId: string, page: HistoryPageRequest): Promise<HistoryPage> {
    try {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#audit,
          KeyConditionExpression:
            page.afterSeq === undefined ? 'orderId = :id' : 'orderId = :id AND seq > :after',
          ExpressionAttributeValues: {
            ':id': orderId,
            ...(page.afterSeq === undefined ? {} : { ':after': page.afterSeq }),
          },
          ConsistentRead: true,
          ScanIndexForward: true,
          Limit: page.limit,
        }),
      );
      const entries = (out.Items ?? []) as AuditEntry[];
      const last = entries.at(-1);
      return { entries, ...(out.LastEvaluatedKey && last ? { lastSeq: last.seq } : {}) };
    } catch (error) {
      throw unavailable(error);
    }
  }

  #auditPut(audit: AuditEntry) {
    return {
      TableName: this.#audit,
      Item: audit,
      ConditionExpression: 'attribute_not_exists(seq)',
    };
  }

  async #transact(input: TransactWriteCommandInput): Promise<CommitResult> {
    try {
      await this.#doc.send(new TransactWriteCommand(input));
      return 'committed';
    } catch (error) {
      // A failed condition or a conflicting concurrent transaction: the caller re-reads.
      if (isTransactionCanceled(error)) return 'conflict';
      throw unavailable(error);
    }
  }
}
