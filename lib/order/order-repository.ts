import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import type { AuditEntry, Order, PendingHoldRow } from './types.js';

/** The rows an operation found on the order and made sure the history table has: dropped from the order by its commit. */
export interface SettledRows {
  /** Seqs of {@link Order.log} entries. */
  log: number[];
  /** The one-write hold's row ({@link Order.pendingHold}). */
  hold: boolean;
}

/**
 * One operation on an order, in one conditional write of the order item: its
 * effect, its history row (written ahead in the order's log, copied to the
 * history table by the caller once the write is done) and, for a status
 * event, its marker.
 */
export interface OrderCommit {
  orderId: string;
  /** The auditSeq read before deciding; the commit fails if it moved. */
  expectedSeq: number;
  /**
   * Also required of the stored order (when deciding from a hint instead of a
   * read): these fields, and either the one-write hold row the hint names or
   * none; `markerRoom`: fewer markers kept than this, and none dropped.
   */
  expected?: Pick<Order, 'status' | 'version'> & {
    paymentHolder: string;
    heldRow?: Pick<AuditEntry, 'seq' | 'at' | 'correlationId' | 'caller' | 'transactionId'>;
    markerRoom?: number;
  };
  /** This operation's history row (seq expectedSeq + 1). */
  audit: AuditEntry;
  /** Rows the history table has (checked or written): dropped from the order. */
  settled?: SettledRows;
  /** Attributes the operation sets on the order (status, version, hold...). */
  set?: Partial<Omit<Order, 'orderId' | 'auditSeq' | 'log' | 'events'>>;
  /** Attributes the operation removes from the order (e.g. a released hold). */
  remove?: (keyof Order)[];
  /**
   * Remember this eventId (first time it is seen: the write fails otherwise)
   * as `audit`'s, dropping the `evict`ed markers (their rows are in the
   * history table).
   */
  marker?: { eventId: string; evict: string[] };
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
  /** Held only while the order keeps fewer rows than this in its log (else the caller reads, settles and decides). */
  logRoom: number;
}

/** Result of a conditional write: done, or someone else wrote first (re-read and retry). */
export type CommitResult = 'committed' | 'conflict';

/** Persistence of orders and their history. */
export interface OrderRepository {
  /** The order, read strongly consistent; undefined when it does not exist. */
  get(orderId: string): Promise<Order | undefined>;
  /** Creates the order (its first history row in its log); 'conflict' when the orderId exists. */
  create(order: Order): Promise<CommitResult>;
  /** Applies one operation in one conditional write; the order as stored after it, or 'conflict'. */
  commit(commit: OrderCommit): Promise<Order | 'conflict'>;
  /**
   * Holds a free order in one write when it matches and is payable, keeping
   * the hold's history row on the order (`row`, see Order.pendingHold);
   * undefined when any condition fails (the caller reads and decides).
   */
  holdIfFree(hold: FreeHold): Promise<Order | undefined>;
  /** Counts a refused create on the order instead of appending it to the history. */
  countRefusedCreate(orderId: string): Promise<void>;
  /** Copies history rows to the history table (plain writes; a row never changes once written ahead). */
  writeHistory(rows: AuditEntry[]): Promise<void>;
  /** The seqs from `from` to `to` the history table has. */
  historySeqs(orderId: string, from: number, to: number): Promise<Set<number>>;
  /** One row of the history table. */
  historyRow(orderId: string, seq: number): Promise<AuditEntry | undefined>;
  /** The row of the history table that is `eventId`'s marker, if any (reads the order's whole history). */
  findEventMarker(orderId: string, eventId: string): Promise<AuditEntry | undefined>;
  /** One page of the history table in seq order, starting after `afterSeq`. */
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

function unavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('ORDER_STORE_UNAVAILABLE', 'The order store is unavailable', {
    cause,
    headers: { 'Retry-After': '1' },
  });
}

/** The names and values of one expression, with a placeholder per name. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  #n = 0;

  /** A placeholder for an attribute name (or a map key: a seq, an eventId). */
  name(name: string): string {
    const found = Object.entries(this.names).find(([, n]) => n === name);
    if (found) return found[0];
    const key = `#n${this.#n++}`;
    this.names[key] = name;
    return key;
  }

  /** A placeholder for a value. */
  value(value: unknown): string {
    const key = `:v${this.#n++}`;
    this.values[key] = value;
    return key;
  }
}

/** The order's log entry of a history row. */
function logged(entry: AuditEntry) {
  const { orderId: _orderId, seq: _seq, ...row } = entry;
  return row;
}

/** DynamoDB adapter: orders in ORDERS_TABLE, the history in ORDER_AUDIT_TABLE. */
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

  async create(order: Order): Promise<CommitResult> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#orders,
          Item: order,
          ConditionExpression: 'attribute_not_exists(orderId)',
        }),
      );
      return 'committed';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw unavailable(error);
    }
  }

  async commit(commit: OrderCommit): Promise<Order | 'conflict'> {
    const x = new Expression();
    const sets = [
      `${x.name('auditSeq')} = ${x.value(commit.audit.seq)}`,
      `${x.name('log')}.${x.name(String(commit.audit.seq))} = ${x.value(logged(commit.audit))}`,
    ];
    const removes: string[] = [];
    for (const [key, value] of Object.entries(commit.set ?? {})) {
      if (value !== undefined) sets.push(`${x.name(key)} = ${x.value(value)}`);
    }
    for (const key of commit.remove ?? []) removes.push(x.name(key));
    for (const seq of commit.settled?.log ?? []) {
      removes.push(`${x.name('log')}.${x.name(String(seq))}`);
    }
    if (commit.settled?.hold) removes.push(x.name('holdSeq'), x.name('pendingHold'));
    // Optimistic concurrency: every operation bumps auditSeq, so this fails
    // if anything happened to the order since it was read.
    const conditions = [
      `attribute_exists(${x.name('orderId')})`,
      `${x.name('auditSeq')} = ${x.value(commit.expectedSeq)}`,
    ];
    if (commit.marker) {
      const events = x.name('events');
      const eventId = x.name(commit.marker.eventId);
      sets.push(`${events}.${eventId} = ${x.value(commit.audit.seq)}`);
      conditions.push(`attribute_not_exists(${events}.${eventId})`);
      for (const evicted of commit.marker.evict) removes.push(`${events}.${x.name(evicted)}`);
      if (commit.marker.evict.length > 0) sets.push(`${x.name('olderEvents')} = ${x.value(true)}`);
    }
    const expected = commit.expected;
    if (expected) {
      conditions.push(
        `${x.name('status')} = ${x.value(expected.status)}`,
        `${x.name('version')} = ${x.value(expected.version)}`,
        `${x.name('paymentHolder')} = ${x.value(expected.paymentHolder)}`,
      );
      const held = expected.heldRow;
      if (held) {
        const row = x.name('pendingHold');
        conditions.push(
          `${x.name('holdSeq')} = ${x.value(held.seq)}`,
          `${row}.${x.name('at')} = ${x.value(held.at)}`,
          `${row}.${x.name('correlationId')} = ${x.value(held.correlationId)}`,
          `${row}.${x.name('caller')} = ${x.value(held.caller)}`,
          `${row}.${x.name('transactionId')} = ${x.value(held.transactionId)}`,
        );
      } else {
        conditions.push(`attribute_not_exists(${x.name('holdSeq')})`);
      }
      if (expected.markerRoom !== undefined) {
        conditions.push(
          `attribute_not_exists(${x.name('olderEvents')})`,
          `size(${x.name('events')}) < ${x.value(expected.markerRoom)}`,
        );
      }
    }
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#orders,
          Key: { orderId: commit.orderId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as Order;
    } catch (error) {
      // Another writer got there first (or the eventId was seen): the caller re-reads.
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw unavailable(error);
    }
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
          ConditionExpression: `attribute_exists(orderId) AND userId = :user AND amountMinor = :amount AND currency = :currency AND #status IN (${statuses.join(', ')}) AND attribute_not_exists(paymentHolder) AND attribute_not_exists(holdSeq) AND size(#log) < :logRoom`,
          ExpressionAttributeNames: { '#status': 'status', '#log': 'log' },
          ExpressionAttributeValues: {
            ':tx': hold.transactionId,
            ':until': hold.holdUntil,
            ':one': 1,
            ':row': hold.row,
            ':user': hold.userId,
            ':amount': hold.amountMinor,
            ':currency': hold.currency,
            ':logRoom': hold.logRoom,
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

  async writeHistory(rows: AuditEntry[]): Promise<void> {
    try {
      // Usually one row; several only when a crash left rows uncopied. Plain
      // puts (one write unit each, as in a batch), within the role's grants.
      await Promise.all(
        rows.map((row) => this.#doc.send(new PutCommand({ TableName: this.#audit, Item: row }))),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async historySeqs(orderId: string, from: number, to: number): Promise<Set<number>> {
    const seqs = new Set<number>();
    await this.#eachAuditPage(
      {
        KeyConditionExpression: 'orderId = :id AND #seq BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':id': orderId, ':from': from, ':to': to },
        ProjectionExpression: '#seq',
      },
      (items) => {
        for (const item of items) seqs.add(Number(item.seq));
        return false;
      },
    );
    return seqs;
  }

  async historyRow(orderId: string, seq: number): Promise<AuditEntry | undefined> {
    try {
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#audit, Key: { orderId, seq }, ConsistentRead: true }),
      );
      return Item as AuditEntry | undefined;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async findEventMarker(orderId: string, eventId: string): Promise<AuditEntry | undefined> {
    let found: AuditEntry | undefined;
    await this.#eachAuditPage(
      {
        KeyConditionExpression: 'orderId = :id',
        FilterExpression: 'eventId = :event AND eventMarker = :yes',
        ExpressionAttributeValues: { ':id': orderId, ':event': eventId, ':yes': true },
      },
      (items) => {
        found = items[0] as AuditEntry | undefined;
        return found !== undefined;
      },
    );
    return found;
  }

  /**
   * Pages through one strongly consistent query of the history table, handing
   * each page to `visit` until it returns true (found) or the pages end.
   */
  async #eachAuditPage(
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>,
    visit: (items: Record<string, unknown>[]) => boolean,
  ): Promise<void> {
    try {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.#doc.send(
          new QueryCommand({
            ...input,
            TableName: this.#audit,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        if (visit(out.Items ?? [])) return;
        start = out.LastEvaluatedKey;
      } while (start);
    } catch (error) {
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
}
