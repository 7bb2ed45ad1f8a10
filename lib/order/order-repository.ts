import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isTransactionCanceled } from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import type { AuditEntry, EventMarker, Order } from './types.js';

/** One atomic write: an audit record, the counter bump it needs, and optionally a change and an event marker. */
export interface OrderCommit {
  orderId: string;
  /** The auditSeq read before deciding; the commit fails if it moved. */
  expectedSeq: number;
  audit: AuditEntry;
  /** The new status and version, when the operation changes the order. */
  change?: { status: Order['status']; version: number; updatedAt: string };
  /** Remember this eventId (first time it is seen). */
  marker?: EventMarker;
}

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
  /** Every audit record of the order, in seq order. */
  history(orderId: string): Promise<AuditEntry[]>;
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
    let update = 'SET #seq = :seq';
    if (commit.change) {
      update += ', #status = :status, #version = :version, #updatedAt = :updatedAt';
      names['#status'] = 'status';
      names['#version'] = 'version';
      names['#updatedAt'] = 'updatedAt';
      values[':status'] = commit.change.status;
      values[':version'] = commit.change.version;
      values[':updatedAt'] = commit.change.updatedAt;
    }
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.#orders,
          Key: { orderId: commit.orderId },
          UpdateExpression: update,
          // Optimistic concurrency: every operation bumps auditSeq, so this
          // fails if anything happened to the order since it was read.
          ConditionExpression: 'attribute_exists(orderId) AND #seq = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      { Put: this.#auditPut(commit.audit) },
    ];
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

  async history(orderId: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.#doc.send(
          new QueryCommand({
            TableName: this.#audit,
            KeyConditionExpression: 'orderId = :id',
            ExpressionAttributeValues: { ':id': orderId },
            ConsistentRead: true,
            ScanIndexForward: true,
            ExclusiveStartKey: start,
          }),
        );
        entries.push(...((page.Items ?? []) as AuditEntry[]));
        start = page.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      throw unavailable(error);
    }
    return entries;
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
