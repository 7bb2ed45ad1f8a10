import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyRecordStatus,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import {
  type BasePersistenceLayer,
  IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { isTransactionCanceled, type TransactItem } from '../shared/dynamo.js';
import { ConflictError, isAppError, UnprocessableError } from '../shared/errors.js';
import type { RequestContext, StartedGuard } from './payment-service.js';
import type { Charge, PaymentRequest, PaymentResult } from './types.js';

/** Key prefix of payment-creation records: explicit, so renaming the function orphans nothing. */
export const PAYMENT_IDEMPOTENCY_PREFIX = 'payment.create';

/** The idempotency table's attributes (Powertools' defaults, named here because the completion below writes them too). */
const ATTRIBUTES = {
  keyAttr: 'id',
  expiryAttr: 'expiration',
  statusAttr: 'status',
  dataAttr: 'data',
  validationKeyAttr: 'validation',
  inProgressExpiryAttr: 'in_progress_expiration',
} as const;

/**
 * The charge guard's two writes that ride on the idempotency record's: its
 * creation on the record's first write, its deletion on the record's deletion
 * (a request refused before it asked the gateway). Document-client form.
 */
export interface GuardRide {
  charge: Charge;
  put: NonNullable<TransactItem['Put']>;
  drop: NonNullable<TransactItem['Delete']>;
}

/** A guard ride of one request, and what became of it. */
interface StartRide extends GuardRide {
  request: JSONValue;
  /** The record's hashed key, once the store is configured (at the record's first write). */
  key?: string;
  written: boolean;
  gatewayAsked: boolean;
  /** The in-progress expiry the record was written with: its deletion is conditioned on it. */
  inProgressExpiry?: number;
}

/** The reasons of a cancelled transaction, in its items' order. */
function cancellationReasons(
  error: unknown,
): { Code?: string; Item?: Record<string, unknown> }[] | undefined {
  if (!isTransactionCanceled(error)) return undefined;
  return (error as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] })
    .CancellationReasons;
}

/**
 * Powertools' DynamoDB persistence layer, with the payment's charge guard
 * riding on the record's first write and, for a request refused before the
 * gateway, on its deletion (`rideOnStart`, below). The record's completion is
 * Powertools' own (a plain write: the fast path's delivered marks are plain
 * writes of their own, 1 write unit each, where riding on the completion's
 * transaction cost 2 each and 2 for the record: docs/performance.md).
 */
export class PaymentIdempotencyStore extends DynamoDBPersistenceLayer {
  /** Charge guards waiting for a record's first write, by request. */
  private readonly starts = new Map<JSONValue, StartRide>();
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: { tableName: string; client: DynamoDBClient; doc: DynamoDBDocumentClient }) {
    super({ tableName: options.tableName, awsSdkV3Client: options.client, ...ATTRIBUTES });
    this.doc = options.doc;
    this.table = options.tableName;
  }

  /**
   * Leaves `ride` (the charge guard of `request`) for the record's first
   * write: one transaction writes both, before the order is asked. Call it
   * before Powertools runs the request; `settle` forgets it.
   */
  rideOnStart(request: JSONValue, ride: GuardRide): StartedGuard {
    const start: StartRide = { ...ride, request, written: false, gatewayAsked: false };
    this.starts.set(request, start);
    return {
      charge: ride.charge,
      written: () => start.written,
      gatewayAsked: () => {
        start.gatewayAsked = true;
      },
    };
  }

  /** The guard ride of the record `key`, if its request left one. */
  private startOf(key: string): StartRide | undefined {
    for (const start of this.starts.values()) {
      start.key ??= this.getHashedIdempotencyKey(start.request);
      if (start.key === key) return start;
    }
    return undefined;
  }

  /** Forgets what `request` left to ride on its record, once the request is over. */
  async settle(request: JSONValue): Promise<void> {
    this.starts.delete(request);
  }

  /**
   * Powertools' first write (the record IN_PROGRESS, on the same condition),
   * with the request's charge guard in the same transaction when it left one.
   * A record that exists already is reported as Powertools reports it, from
   * the transaction's cancellation reason (a replay stays one request). When
   * only the guard exists (a retry after a crash) or the transaction cannot
   * run, the record is written alone, as Powertools writes it, and the charge
   * writes or finds its guard as it does without a ride.
   */
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const start = this.startOf(record.idempotencyKey);
    if (!start) return super._putRecord(record);
    const item: Record<string, unknown> = {
      [ATTRIBUTES.keyAttr]: record.idempotencyKey,
      [ATTRIBUTES.expiryAttr]: record.expiryTimestamp,
      [ATTRIBUTES.statusAttr]: record.getStatus(),
    };
    if (record.inProgressExpiryTimestamp !== undefined) {
      item[ATTRIBUTES.inProgressExpiryAttr] = record.inProgressExpiryTimestamp;
    }
    if (this.isPayloadValidationEnabled() && record.payloadHash !== undefined) {
      item[ATTRIBUTES.validationKeyAttr] = record.payloadHash;
    }
    const now = Date.now();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: item,
                // DynamoDBPersistenceLayer._putRecord's condition: no record, an
                // expired one, or one in progress past its holder's deadline.
                ConditionExpression:
                  'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
                ExpressionAttributeNames: {
                  '#id': ATTRIBUTES.keyAttr,
                  '#expiry': ATTRIBUTES.expiryAttr,
                  '#in_progress_expiry': ATTRIBUTES.inProgressExpiryAttr,
                  '#status': ATTRIBUTES.statusAttr,
                },
                ExpressionAttributeValues: {
                  ':now': now / 1000,
                  ':now_in_millis': now,
                  ':inprogress': IdempotencyRecordStatus.INPROGRESS,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Put: start.put },
          ],
        }),
      );
      start.written = true;
      start.inProgressExpiry = record.inProgressExpiryTimestamp;
      return;
    } catch (error) {
      const [recordReason] = cancellationReasons(error) ?? [];
      if (recordReason?.Code === 'ConditionalCheckFailed') {
        throw new IdempotencyItemAlreadyExistsError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          recordReason.Item ? this.existing(recordReason.Item) : undefined,
        );
      }
    }
    await super._putRecord(record);
  }

  /** The record `key`, on condition that it is the one a request wrote IN_PROGRESS with `inProgressExpiry`. */
  private ours(key: string, inProgressExpiry: number | undefined) {
    return {
      TableName: this.table,
      Key: { [ATTRIBUTES.keyAttr]: key },
      ConditionExpression:
        inProgressExpiry === undefined
          ? '#status = :inprogress AND attribute_not_exists(#in_progress_expiry)'
          : '#status = :inprogress AND #in_progress_expiry = :mine',
      ExpressionAttributeNames: {
        '#status': ATTRIBUTES.statusAttr,
        '#in_progress_expiry': ATTRIBUTES.inProgressExpiryAttr,
      },
      ExpressionAttributeValues: {
        ':inprogress': IdempotencyRecordStatus.INPROGRESS,
        ...(inProgressExpiry === undefined ? {} : { ':mine': inProgressExpiry }),
      },
    };
  }

  /** The record a cancelled first write found (DynamoDBPersistenceLayer._putRecord's reading of it). */
  private existing(raw: Record<string, unknown>): IdempotencyRecord {
    const item = unmarshall(raw as Parameters<typeof unmarshall>[0]);
    return new IdempotencyRecord({
      idempotencyKey: item[ATTRIBUTES.keyAttr],
      status: item[ATTRIBUTES.statusAttr],
      expiryTimestamp: item[ATTRIBUTES.expiryAttr],
      inProgressExpiryTimestamp: item[ATTRIBUTES.inProgressExpiryAttr],
      responseData: item[ATTRIBUTES.dataAttr],
      payloadHash: item[ATTRIBUTES.validationKeyAttr],
    });
  }

  /**
   * Powertools deletes the record of a request that threw, so that the key
   * can be used again. When that request wrote its guard with the record and
   * never asked the gateway (the order refused it, or it failed before the
   * charge), the guard goes in the same transaction: nothing was charged.
   * The record's deletion in it is conditioned on the record being still this
   * request's (its in-progress expiry): a request that ran past its deadline
   * could otherwise take with it the guard of a retry that took the key over.
   * If that transaction fails, the record is deleted alone, as Powertools
   * does, and the guard stays PENDING on the reconciler's list, which finds
   * that the gateway never saw it and takes it off.
   */
  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    const start = this.startOf(record.idempotencyKey);
    if (!start?.written || start.gatewayAsked) return super._deleteRecord(record);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: this.ours(record.idempotencyKey, start.inProgressExpiry) },
            { Delete: start.drop },
          ],
        }),
      );
      start.written = false;
      return;
    } catch {
      // The guard stays (see above); the record goes alone.
    }
    await super._deleteRecord(record);
  }
}

/** Options of {@link idempotentPay}. */
export interface IdempotentPayOptions {
  /** One persistence layer per configuration (a shared one silently keeps the first config). */
  persistenceStore: BasePersistenceLayer;
  /** How long a result is replayed (default 24 h). */
  expiresAfterSeconds?: number;
  /**
   * The charge guard of a request, written by the record's first write (one
   * request for both) when the store is a {@link PaymentIdempotencyStore}.
   */
  chargeGuard?: (request: PaymentRequest, ctx: RequestContext) => GuardRide;
}

/** The use case made idempotent on transactionId; call `registerLambdaContext` once per invocation. */
export interface IdempotentPay {
  (request: PaymentRequest, ctx: RequestContext): Promise<PaymentResult>;
  registerLambdaContext(context: Context): void;
}

/**
 * Wraps `pay` with Powertools idempotency: keyed by `transactionId`, the whole
 * payload validated (a reused key with another payload is a 422), the result
 * (HTTP status and body) stored and replayed with `replayed: true` set by the
 * response hook, which Powertools calls only for a stored result. A thrown
 * error deletes the in-progress record, so a failure before the charge never
 * leaves the key stuck.
 */
export function idempotentPay(
  pay: (request: PaymentRequest, ctx: RequestContext) => Promise<PaymentResult>,
  options: IdempotentPayOptions,
): IdempotentPay {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'transactionId',
    payloadValidationJmesPath: '[transactionId, orderId, userId, amountMinor, currency]',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
    responseHook: (response) => ({ ...(response as Record<string, JSONValue>), replayed: true }),
  });
  const store = options.persistenceStore;
  // Only our store takes writes that ride on its record's (any other layer: none ride).
  const riding = store instanceof PaymentIdempotencyStore ? store : undefined;
  const wrapped = makeIdempotent(pay, {
    persistenceStore: store,
    config,
    keyPrefix: PAYMENT_IDEMPOTENCY_PREFIX,
    dataIndexArgument: 0,
  });
  // What rides on the record of `request`: its charge guard (only the
  // payload, argument 0, is hashed).
  const ridingContext = (
    store: PaymentIdempotencyStore,
    request: PaymentRequest,
    ctx: RequestContext,
  ): RequestContext => {
    const payload = request as unknown as JSONValue;
    return {
      ...ctx,
      startedGuard: options.chargeGuard
        ? store.rideOnStart(payload, options.chargeGuard(request, ctx))
        : undefined,
    };
  };
  const run = async (request: PaymentRequest, ctx: RequestContext) => {
    try {
      return await wrapped(request, riding ? ridingContext(riding, request, ctx) : ctx);
    } catch (error) {
      const expiresAt = isInProgress(error) ? await inProgressExpiry(store, request) : undefined;
      throw toIdempotencyError(error, { inProgressExpiresAt: expiresAt });
    } finally {
      await riding?.settle(request as unknown as JSONValue);
    }
  };
  return Object.assign(run, {
    registerLambdaContext: (context: Context) => config.registerLambdaContext(context),
  });
}

function isInProgress(error: unknown): boolean {
  return error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError';
}

/**
 * When the request holding the key stops holding it: its record's in-progress
 * expiry (epoch ms, the holder's deadline). Powertools does not put the record
 * on the error, so it is read again; undefined when it is gone (finished).
 */
async function inProgressExpiry(
  store: BasePersistenceLayer,
  request: PaymentRequest,
): Promise<number | undefined> {
  try {
    const record = await store.getRecord(request as unknown as JSONValue);
    return record.inProgressExpiryTimestamp;
  } catch {
    return undefined;
  }
}

/**
 * Seconds a client should wait before retrying a key in progress: until the
 * holder's in-progress expiry (rounded up, at least 1 s); 1 s when unknown.
 */
export function inProgressRetryAfterSeconds(
  inProgressExpiresAt: number | undefined,
  now = Date.now(),
): number {
  if (inProgressExpiresAt === undefined) return 1;
  return Math.max(1, Math.ceil((inProgressExpiresAt - now) / 1000));
}

/**
 * Maps Powertools' idempotency errors to ours (by name, so two copies of the
 * package still match). A key in progress is a 409 whose Retry-After is the
 * rest of the holder's time (`inProgressExpiresAt`, epoch ms).
 */
export function toIdempotencyError(
  error: unknown,
  options: { inProgressExpiresAt?: number; now?: number } = {},
): unknown {
  if (isAppError(error) || !(error instanceof Error)) return error;
  if (isInProgress(error)) {
    const seconds = inProgressRetryAfterSeconds(options.inProgressExpiresAt, options.now);
    return new ConflictError(
      'IDEMPOTENCY_IN_PROGRESS',
      'A request with this transactionId is still being processed; retry later',
      { headers: { 'Retry-After': String(seconds) }, cause: error },
    );
  }
  if (error.name === 'IdempotencyValidationError') {
    return new UnprocessableError(
      'IDEMPOTENCY_KEY_REUSED',
      'This transactionId was already used with a different payload',
      { cause: error },
    );
  }
  return error;
}
