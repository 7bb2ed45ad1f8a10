import { createHash } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Handler } from 'aws-lambda';
import { expect } from 'vitest';
import { composePaymentService } from '../../lib/payment/compose.js';
import { confirmCallback } from '../../lib/payment/gateway-callback.js';
import { idempotentPay, PAYMENT_IDEMPOTENCY_PREFIX } from '../../lib/payment/idempotency.js';
import { pay as payUseCase } from '../../lib/payment/pay.js';
import { createCallbackRoute, createGetRoute, createPayRoute } from '../../lib/payment/routes.js';
import { SimulatedGateway } from '../../lib/payment/simulator/gateway.js';
import type { Charge } from '../../lib/payment/types.js';
import { viewPayment } from '../../lib/payment/view.js';
import { signGatewayPayload } from '../../lib/payment/webhook-signature.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import type {
  InternalClient,
  InternalRequest,
  InternalResponse,
} from '../../lib/shared/internal-client.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { uniqueId } from '../support/http.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

/** The secret the in-process callback route verifies with. */
/** A valid POST /payments body with fresh ids; `overrides` bends any field. */
export function paymentBody(overrides: Record<string, unknown> = {}) {
  return {
    transactionId: uniqueId('tx'),
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: 125.5,
    currency: 'USD',
    ...overrides,
  };
}

/**
 * The charge guard of `body` (a paymentBody of 125.50 USD), PENDING, as a
 * request writes it after the order's hold and before the gateway: what one
 * leaves when it dies there.
 */
export function pendingGuard(body: ReturnType<typeof paymentBody>): Charge {
  return {
    transactionId: body.transactionId,
    orderId: body.orderId,
    userId: body.userId,
    amountMinor: 12550,
    currency: 'USD',
    state: 'PENDING',
    createdAt: new Date().toISOString(),
  };
}

export const TEST_WEBHOOK_SECRET = 'integration-webhook-secret';

/** A parsed in-process response. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
  raw: string;
}

/** The time each in-process invocation gets (the payment functions' 15 s timeout). */
export const REMAINING_MS = 15_000;

async function call(handler: Handler, event: unknown): Promise<Answer> {
  const response = await handler(event, fakeContext(REMAINING_MS), () => undefined);
  const raw = String(response.body ?? '');
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: raw ? JSON.parse(raw) : undefined,
    raw,
  };
}

/**
 * The payment routes wired as the handlers wire them, against DynamoDB Local,
 * with a counting simulator and an in-process fake of the order and
 * notification services (`answer` decides what they reply).
 */
export function paymentHarness() {
  const logger = createLogger('payment');
  const { client, doc } = dynamoFromEnv();
  const gateway = new SimulatedGateway();
  const sent: InternalRequest[] = [];
  let answer: (request: InternalRequest) => Promise<InternalResponse> = async () => ({
    status: 200,
    body: {},
    attempts: 1,
  });
  // The order's hold (step 1b) and its release: recorded apart from the event deliveries.
  const holds: InternalRequest[] = [];
  let holdAnswer: (request: InternalRequest) => Promise<InternalResponse> = async () => ({
    status: 200,
    body: { status: 'PENDING', acquired: true },
    attempts: 1,
  });
  const isHold = (request: InternalRequest) => /\/payment(\/release)?$/.test(request.path);
  const internalClient: InternalClient = {
    send: async (request) => {
      if (isHold(request)) {
        holds.push(request);
        return holdAnswer(request);
      }
      sent.push(request);
      return answer(request);
    },
  };
  const {
    deps: paymentUseCaseDeps,
    outbox,
    charges,
    payments,
  } = composePaymentService({
    doc,
    paymentsTable: requireEnv('PAYMENTS_TABLE'),
    chargesTable: requireEnv('CHARGES_TABLE'),
    gateway,
    logger,
  });
  const pay = idempotentPay((request, ctx) => payUseCase(paymentUseCaseDeps, request, ctx), {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: requireEnv('IDEMPOTENCY_TABLE'),
      awsSdkV3Client: client,
    }),
  });
  const counted: string[] = [];
  const deps = {
    logger,
    internalClient,
    faultsEnabled: true,
    count: (name: string) => counted.push(name),
  };
  const create = httpHandler({ logger, body: true }, createPayRoute({ ...deps, pay }));
  const callback = httpHandler(
    { logger, body: true },
    createCallbackRoute({
      ...deps,
      confirm: (callback, ctx) => confirmCallback(paymentUseCaseDeps, callback, ctx),
      secret: TEST_WEBHOOK_SECRET,
      toleranceSeconds: 300,
    }),
  );
  const get = httpHandler(
    { logger },
    createGetRoute({ view: (transactionId) => viewPayment(paymentUseCaseDeps, transactionId) }),
  );

  return {
    gateway,
    sent,
    /** The business metrics the routes counted, in order. */
    counted,
    /** The calls to the order's hold and release routes, in order. */
    holds,
    outbox,
    charges,
    payments,
    doc,
    /** Replaces what the fake order and notification services answer to event deliveries. */
    answerWith(fn: (request: InternalRequest) => Promise<InternalResponse>) {
      answer = fn;
    },
    /** Replaces what the fake order service answers to holds and releases. */
    answerHoldWith(fn: (request: InternalRequest) => Promise<InternalResponse>) {
      holdAnswer = fn;
    },
    postPayment(body: unknown, headers: Record<string, string> = {}) {
      return call(create, httpEvent({ method: 'POST', path: '/payments', body, headers }));
    },
    postCallback(rawBody: string, headers: Record<string, string>) {
      return call(
        callback,
        httpEvent({
          method: 'POST',
          path: '/payments/callback',
          rawBody,
          headers: { 'content-type': 'application/json', ...headers },
        }),
      );
    },
    getPayment(transactionId: string) {
      return call(
        get,
        httpEvent({ path: `/payments/${transactionId}`, pathParameters: { transactionId } }),
      );
    },
  };
}

/** A signature header for `rawBody` (with the test secret unless told otherwise). */
export function signature(
  rawBody: string,
  options: { secret?: string; at?: Date } = {},
): Record<string, string> {
  const t = Math.floor((options.at ?? new Date()).getTime() / 1000);
  return {
    'x-gateway-signature': signGatewayPayload(rawBody, options.secret ?? TEST_WEBHOOK_SECRET, t),
  };
}

/** The id Powertools gives the idempotency record of a transactionId (prefix + md5 of the key). */
export function idempotencyRecordId(transactionId: string): string {
  const hash = createHash('md5').update(JSON.stringify(transactionId)).digest('base64');
  return `${PAYMENT_IDEMPOTENCY_PREFIX}#${hash}`;
}

/** Reads rows straight from the tables, to count what was written rather than trust responses. */
export const tables = {
  async charge(transactionId: string) {
    const { doc } = dynamoFromEnv();
    const out = await doc.send(
      new GetCommand({
        TableName: requireEnv('CHARGES_TABLE'),
        Key: { transactionId },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  },
  /** The gateway simulator's entry for a key: what it charged, once (its ledger table). */
  async gatewayLedger(transactionId: string) {
    const { doc } = dynamoFromEnv();
    const out = await doc.send(
      new GetCommand({
        TableName: requireEnv('GATEWAY_LEDGER_TABLE'),
        Key: { idempotencyKey: transactionId },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  },
  async paymentItems(transactionId: string) {
    const { doc } = dynamoFromEnv();
    const out = await doc.send(
      new QueryCommand({
        TableName: requireEnv('PAYMENTS_TABLE'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `PAYMENT#${transactionId}` },
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  },
  /**
   * A payment's events where they are stored: an event's outbox item, else
   * the payment item's record of it (lib/payment/payment-store.ts);
   * `inOutbox` says which.
   */
  async paymentEvents(transactionId: string) {
    const items = await tables.paymentItems(transactionId);
    const inOutbox = items
      .filter((i) => String(i.sk).startsWith('EVENT#'))
      .map((i) => ({ ...i, inOutbox: true }) as Record<string, unknown>);
    const ids = new Set(inOutbox.map((e) => e.eventId));
    const states = (items.find((i) => i.sk === 'PAYMENT')?.eventStates ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    const recorded = Object.entries(states)
      .filter(([eventId]) => !ids.has(eventId))
      .map(
        ([eventId, state]) => ({ eventId, ...state, inOutbox: false }) as Record<string, unknown>,
      );
    return [...recorded, ...inOutbox].sort((a, b) => String(a.type).localeCompare(String(b.type)));
  },
  async idempotencyRecord(transactionId: string) {
    const { doc } = dynamoFromEnv();
    const out = await doc.send(
      new GetCommand({
        TableName: requireEnv('IDEMPOTENCY_TABLE'),
        Key: { id: idempotencyRecordId(transactionId) },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  },
  async deleteIdempotencyRecord(transactionId: string) {
    const { doc } = dynamoFromEnv();
    await doc.send(
      new DeleteCommand({
        TableName: requireEnv('IDEMPOTENCY_TABLE'),
        Key: { id: idempotencyRecordId(transactionId) },
      }),
    );
  },
};

/**
 * Exactly one of the accepted callbacks confirmed the charge, from the
 * callback's own result. Under concurrency another one may be the one whose
 * transaction finalizes the payment (both then report `changed`); the payment
 * and its events are written once all the same (checked by the caller).
 */
export async function expectConfirmedOnce(
  transactionId: string,
  accepted: Array<{ body: { confirmed?: boolean; changed?: boolean } }>,
): Promise<void> {
  expect(accepted.filter((a) => a.body.confirmed)).toHaveLength(1);
  const changed = accepted.filter((a) => a.body.changed).length;
  expect(changed).toBeGreaterThanOrEqual(1);
  expect(changed).toBeLessThanOrEqual(2);
  expect(await tables.charge(transactionId)).toMatchObject({
    state: 'SUCCEEDED',
    resultSource: 'callback',
    confirmedAt: expect.any(String),
  });
}
