import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { byCodeUnit } from '../shared/compare.js';
import { isConditionalCheckFailed } from '../shared/dynamo.js';
import { keysOfSlice, readShardsMerged, type ShardSlice } from '../shared/shards.js';
import type { GatewayChargeResult } from './gateway-port.js';
import {
  UNFINALIZED_ATTRIBUTE,
  UNFINALIZED_INDEX,
  unfinalizedMarker,
  unfinalizedMarkers,
} from './indexes.js';
import { type Charge, type RecordedCharge, VOIDED_REASON } from './types.js';

export {
  UNFINALIZED_ATTRIBUTE,
  UNFINALIZED_INDEX,
  UNFINALIZED_MARKER,
  unfinalizedMarker,
} from './indexes.js';

/**
 * A query of one shard (`marker`, from {@link unfinalizedMarkers}) of
 * {@link UNFINALIZED_INDEX}: the charges of that shard whose payment is not
 * final yet (add order and paging).
 */
export function unfinalizedChargesQuery(tableName: string, marker: string) {
  return {
    TableName: tableName,
    IndexName: UNFINALIZED_INDEX,
    KeyConditionExpression: '#marker = :marker',
    ExpressionAttributeNames: { '#marker': UNFINALIZED_ATTRIBUTE },
    ExpressionAttributeValues: { ':marker': marker },
  };
}

/** What {@link ChargeStore.begin} found: a charge this call created, or the one that already existed. */
export interface BeginResult {
  charge: Charge;
  created: boolean;
}

/** The recorded result of a charge. */
export type ChargeResult = Pick<
  RecordedCharge,
  'state' | 'gatewayReference' | 'declineReason' | 'resultSource'
>;

/** The result a gateway's answer records on its charge (a voided key: DECLINED, {@link VOIDED_REASON}). */
export function chargeResultOf(answer: GatewayChargeResult): ChargeResult {
  return {
    state: answer.outcome === 'succeeded' ? 'SUCCEEDED' : 'DECLINED',
    gatewayReference: answer.gatewayReference,
    declineReason:
      answer.outcome === 'declined'
        ? answer.reason
        : answer.outcome === 'voided'
          ? VOIDED_REASON
          : undefined,
    resultSource: 'gateway',
  };
}

/**
 * What records `result` on a charge that is still PENDING: SET clauses (with
 * `#state`), their values and the condition.
 */
export function recordResultUpdate(result: ChargeResult, at: Date) {
  return {
    set:
      '#state = :state, gatewayReference = :ref, resultSource = :source, recordedAt = :at' +
      (result.declineReason ? ', declineReason = :reason' : ''),
    condition: '#state = :pending',
    values: {
      ':pending': 'PENDING',
      ':state': result.state,
      ':ref': result.gatewayReference,
      ':source': result.resultSource,
      ':at': at.toISOString(),
      ...(result.declineReason ? { ':reason': result.declineReason } : {}),
    },
  };
}

/** Persistence of the charge guard (one item per transactionId in CHARGES_TABLE). */
export interface ChargeStore {
  /** Writes a PENDING charge unless one exists for the transactionId; never overwrites. */
  begin(charge: Charge): Promise<BeginResult>;
  /**
   * Records the result if the charge is still PENDING, and keeps it on the
   * reconciler's list until {@link unlist}; returns the charge as it now
   * stands (first result wins).
   */
  recordResult(transactionId: string, result: ChargeResult, at: Date): Promise<Charge>;
  /**
   * Takes a recorded charge off the reconciler's list: its payment is final
   * and each of its events delivered or in the outbox. Nothing happens to a
   * PENDING charge or one already off the list; false then.
   */
  unlist(transactionId: string): Promise<boolean>;
  /** Marks the charge confirmed by a callback; true only for the first confirmation. */
  confirm(transactionId: string, at: Date): Promise<boolean>;
  get(transactionId: string): Promise<Charge | undefined>;
  /**
   * The transactionIds of charges created at or before `createdBefore` whose
   * payment is not final yet, oldest first (eventually consistent: re-read each).
   * A shard of the index that cannot be read is left out (its charges wait
   * for the next run), unless every shard fails.
   */
  listUnfinalized(
    createdBefore: Date,
    limit: number,
    options?: UnfinalizedListing,
  ): Promise<string[]>;
  /**
   * Records a reconciliation that failed: the reconciler leaves the charge
   * alone until `until` (its backoff), while it stays listed. Nothing
   * happens to a charge whose payment became final meanwhile.
   */
  backOff(
    transactionId: string,
    backoff: { attempts: number; until: Date; error: string },
  ): Promise<void>;
  /**
   * Takes a PENDING charge off the reconciler's list (the gateway never saw it:
   * nothing to finish) or puts it back (a retry is about to ask the gateway,
   * at `askedAt`: the reconciler leaves it alone for its grace from then).
   */
  setReconcilable(transactionId: string, reconcilable: boolean, askedAt?: Date): Promise<void>;
}

/** Which part of the unfinalized index a listing reads. */
export interface UnfinalizedListing {
  /** Only the shards this slice owns (one of several runs at once). */
  slice?: ShardSlice;
  /** Only charges created at or after this ISO time (where the previous page of a run ended). */
  createdAfter?: string;
}

/** The charge an item stores (the index marker is the store's business, not the domain's). */
function toCharge(item: Record<string, unknown>): Charge {
  const { [UNFINALIZED_ATTRIBUTE]: marker, ...charge } = item;
  // A PENDING charge off the reconciler's list is one the gateway never saw (setReconcilable).
  if (charge.state === 'PENDING' && marker === undefined) charge.gatewayNeverSaw = true;
  // A recorded charge leaves the list only once its payment is final and its events delivered or in the outbox.
  if (charge.state !== 'PENDING' && marker === undefined) charge.finalized = true;
  return charge as unknown as Charge;
}

/** Options of {@link DynamoChargeStore}. */
export interface DynamoChargeStoreOptions {
  /** Told of a shard of the unfinalized index that {@link DynamoChargeStore.listUnfinalized} could not read and left out. */
  onShardFailure?: (shard: string, error: unknown) => void;
}

/** {@link ChargeStore} on DynamoDB: conditional writes keyed by transactionId. */
export class DynamoChargeStore implements ChargeStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoChargeStoreOptions = {},
  ) {}

  async begin(charge: Charge): Promise<BeginResult> {
    try {
      // The guard, on the reconciler's list, if none exists: one plain conditional put.
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...charge, [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(charge.transactionId) },
          ConditionExpression: 'attribute_not_exists(transactionId)',
        }),
      );
      return { charge, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.get(charge.transactionId);
      if (!existing) throw new Error(`Charge ${charge.transactionId} vanished after a conflict`);
      return { charge: existing, created: false };
    }
  }

  async recordResult(transactionId: string, result: ChargeResult, at: Date): Promise<Charge> {
    const record = recordResultUpdate(result, at);
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { transactionId },
          // The marker goes back on with the result: a recorded charge stays listed
          // until its payment is final, even if the reconciler took it off meanwhile.
          UpdateExpression: `SET ${record.set}, #marker = :marker`,
          ConditionExpression: record.condition,
          ExpressionAttributeNames: { '#state': 'state', '#marker': UNFINALIZED_ATTRIBUTE },
          ExpressionAttributeValues: {
            ...record.values,
            ':marker': unfinalizedMarker(transactionId),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toCharge(out.Attributes ?? {});
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.get(transactionId);
      if (!existing) throw new Error(`No charge ${transactionId} to record a result on`);
      return existing;
    }
  }

  unlist(transactionId: string): Promise<boolean> {
    // False when off the list already (the reconciler got there), or not recorded.
    return this.#updateIf(transactionId, {
      UpdateExpression: 'REMOVE #marker',
      ConditionExpression: 'attribute_exists(#marker) AND #state <> :pending',
      ExpressionAttributeNames: { '#marker': UNFINALIZED_ATTRIBUTE, '#state': 'state' },
      ExpressionAttributeValues: { ':pending': 'PENDING' },
    });
  }

  confirm(transactionId: string, at: Date): Promise<boolean> {
    return this.#updateIf(transactionId, {
      UpdateExpression: 'SET confirmedAt = :at',
      ConditionExpression: 'attribute_exists(transactionId) AND attribute_not_exists(confirmedAt)',
      ExpressionAttributeValues: { ':at': at.toISOString() },
    });
  }

  /** One conditional update of a charge; false when its condition does not hold. */
  async #updateIf(
    transactionId: string,
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: { transactionId }, ...update }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(transactionId: string): Promise<Charge | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { transactionId }, ConsistentRead: true }),
    );
    return out.Item ? toCharge(out.Item) : undefined;
  }

  async setReconcilable(
    transactionId: string,
    reconcilable: boolean,
    askedAt?: Date,
  ): Promise<void> {
    const set = askedAt ? 'SET #marker = :marker, retriedAt = :at' : 'SET #marker = :marker';
    await this.#updateIf(transactionId, {
      UpdateExpression: reconcilable ? set : 'REMOVE #marker',
      // Only while no result is recorded: a recorded charge leaves the list
      // once its payment's events are delivered or in the outbox, never before.
      ConditionExpression: '#state = :pending',
      ExpressionAttributeNames: { '#marker': UNFINALIZED_ATTRIBUTE, '#state': 'state' },
      ExpressionAttributeValues: {
        ':pending': 'PENDING',
        ...(reconcilable ? { ':marker': unfinalizedMarker(transactionId) } : {}),
        ...(reconcilable && askedAt ? { ':at': askedAt.toISOString() } : {}),
      },
    });
  }

  async backOff(
    transactionId: string,
    backoff: { attempts: number; until: Date; error: string },
  ): Promise<void> {
    // Nothing happens once its payment's effects are settled (off the list): nothing left to back off.
    await this.#updateIf(transactionId, {
      // Not an index key: one write unit on the charge, none on the index.
      UpdateExpression:
        'SET reconcileAttempts = :attempts, reconcileAfter = :until, reconcileError = :error',
      ConditionExpression: 'attribute_exists(#marker)',
      ExpressionAttributeNames: { '#marker': UNFINALIZED_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':attempts': backoff.attempts,
        ':until': backoff.until.toISOString(),
        ':error': backoff.error.slice(0, 1000),
      },
    });
  }

  async listUnfinalized(
    createdBefore: Date,
    limit: number,
    options: UnfinalizedListing = {},
  ): Promise<string[]> {
    const before = createdBefore.toISOString();
    const after = options.createdAfter;
    if (after !== undefined && after > before) return [];
    const range =
      after === undefined ? 'createdAt <= :before' : 'createdAt BETWEEN :after AND :before';
    const read = await readShardsMerged<{ transactionId: string; createdAt: string }>({
      shards: keysOfSlice(unfinalizedMarkers(), options.slice),
      limit,
      compare: (a, b) => byCodeUnit(a.createdAt, b.createdAt),
      readPage: async (marker, startKey, pageLimit) => {
        const query = unfinalizedChargesQuery(this.tableName, marker);
        const out = await this.doc.send(
          new QueryCommand({
            ...query,
            KeyConditionExpression: `${query.KeyConditionExpression} AND ${range}`,
            ExpressionAttributeValues: {
              ...query.ExpressionAttributeValues,
              ':before': before,
              ...(after !== undefined && { ':after': after }),
            },
            ScanIndexForward: true,
            Limit: pageLimit,
            ExclusiveStartKey: startKey,
          }),
        );
        const items = (out.Items ?? []).map((item) => ({
          transactionId: String(item.transactionId),
          createdAt: String(item.createdAt),
        }));
        return { items, lastKey: out.LastEvaluatedKey };
      },
      onShardFailure: (shard, error) => this.options.onShardFailure?.(shard, error),
    });
    return read.items.map((item) => item.transactionId);
  }
}
