import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoChargeStore } from '../../lib/payment/charge-store.js';
import { idempotentPay, PaymentIdempotencyStore } from '../../lib/payment/idempotency.js';
import type { RequestContext, StartedGuard } from '../../lib/payment/payment-service.js';
import type { Charge, PaymentRequest, PaymentResult } from '../../lib/payment/types.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { commandsOf, requestsOf } from '../support/dynamo-commands.js';
import { uniqueId } from '../support/http.js';
import { fakeContext } from '../support/lambda.js';
import { tables } from './payment-fixtures.js';

/** A request's PENDING guard and its writes, as the payment's own `chargeGuardRide` builds them. */
function guardRide(charges: DynamoChargeStore) {
  return (request: PaymentRequest) => {
    const { amount: _amount, ...ids } = request;
    const charge: Charge = { ...ids, state: 'PENDING', createdAt: new Date().toISOString() };
    return {
      charge,
      put: charges.beginWrite(charge),
      drop: charges.dropWrite(charge.transactionId),
    };
  };
}

/**
 * The charge guard's ride on the idempotency record's first write and on its
 * deletion, through Powertools with a stand-in use case (what `pay` sees and
 * does is the test's), against DynamoDB Local.
 */
function rideHarness(options: { failTransactionsOnce?: boolean } = {}) {
  const { client, doc } = dynamoFromEnv();
  let failNext = options.failTransactionsOnce === true;
  // A throttled transaction (not a cancelled one): the store must fall back to the record alone.
  const flaky = {
    send: (command: unknown) => {
      if (failNext && command instanceof TransactWriteCommand) {
        failNext = false;
        return Promise.reject(
          Object.assign(new Error('throttled'), { name: 'ThrottlingException' }),
        );
      }
      return doc.send(command as TransactWriteCommand);
    },
  } as unknown as DynamoDBDocumentClient;
  const charges = new DynamoChargeStore(doc, requireEnv('CHARGES_TABLE'));
  let use: (guard: StartedGuard | undefined) => Promise<PaymentResult> = async () => ({
    statusCode: 201,
    body: { status: 'SUCCEEDED' },
  });
  const pay = idempotentPay((_request, ctx) => use(ctx.startedGuard), {
    persistenceStore: new PaymentIdempotencyStore({
      tableName: requireEnv('IDEMPOTENCY_TABLE'),
      client,
      doc: flaky,
    }),
    chargeGuard: guardRide(charges),
  });
  const request = (): PaymentRequest => ({
    transactionId: uniqueId('tx'),
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: 10,
    currency: 'USD',
    amountMinor: 1000,
  });
  const ctx = { correlationId: 'corr-ride', faults: [] } as unknown as RequestContext;
  return {
    doc,
    request,
    /** Replaces what the use case does with the guard it is given. */
    useWith(fn: typeof use) {
      use = fn;
    },
    run(payment: PaymentRequest) {
      pay.registerLambdaContext(fakeContext(15_000));
      return pay(payment, ctx);
    },
  };
}

describe('The charge guard rides on the idempotency record (DynamoDB Local)', () => {
  it('is written by the record first write, in one transaction', async () => {
    const harness = rideHarness();
    const payment = harness.request();
    let written: boolean | undefined;
    harness.useWith(async (guard) => {
      written = guard?.written();
      return { statusCode: 201, body: {} };
    });
    const commands = await commandsOf(harness.doc, () => harness.run(payment));
    expect(written).toBe(true);
    expect(commands[0]).toBe('TransactWriteItemsCommand');
    expect(await tables.charge(payment.transactionId)).toMatchObject({
      state: 'PENDING',
      amountMinor: 1000,
    });
    expect(await tables.idempotencyRecord(payment.transactionId)).toMatchObject({
      status: 'COMPLETED',
    });
  });

  it("puts the record on Powertools' own condition (a tripwire for a Powertools upgrade)", async () => {
    const { client, doc } = dynamoFromEnv();
    const store = () =>
      new PaymentIdempotencyStore({ tableName: requireEnv('IDEMPOTENCY_TABLE'), client, doc });
    const ctx = { correlationId: 'corr-ride', faults: [] } as unknown as RequestContext;
    const done = async () => ({ statusCode: 201, body: {} });
    const harness = rideHarness();
    // Powertools' own first write (nothing rides), then ours.
    const plain = await requestsOf(doc, () =>
      idempotentPay(done, { persistenceStore: store() })(harness.request(), ctx),
    );
    const theirs = plain.find((r) => r.command === 'PutItemCommand')?.input;
    const charges = new DynamoChargeStore(doc, requireEnv('CHARGES_TABLE'));
    const riding = await requestsOf(doc, () =>
      idempotentPay(done, { persistenceStore: store(), chargeGuard: guardRide(charges) })(
        harness.request(),
        ctx,
      ),
    );
    const transaction = riding.find((r) => r.command === 'TransactWriteItemsCommand')?.input as {
      TransactItems: { Put: Record<string, unknown> }[];
    };
    const ours = transaction.TransactItems[0]?.Put;
    expect(theirs?.ConditionExpression).toEqual(expect.stringContaining('attribute_not_exists'));
    expect(ours?.ConditionExpression).toBe(theirs?.ConditionExpression);
    expect(ours?.ExpressionAttributeNames).toEqual(theirs?.ExpressionAttributeNames);
    expect(Object.keys(ours?.Item as object).sort()).toEqual(
      Object.keys(theirs?.Item as object).sort(),
    );
  });

  it('falls back to the record alone when the transaction cannot run, and the guard is not written', async () => {
    const harness = rideHarness({ failTransactionsOnce: true });
    const payment = harness.request();
    let written: boolean | undefined;
    harness.useWith(async (guard) => {
      written = guard?.written();
      return { statusCode: 201, body: {} };
    });
    await harness.run(payment);
    expect(written).toBe(false);
    expect(await tables.charge(payment.transactionId)).toBeUndefined();
    expect(await tables.idempotencyRecord(payment.transactionId)).toMatchObject({
      status: 'COMPLETED',
    });
  });

  it('goes with the record when the request fails before asking the gateway', async () => {
    const harness = rideHarness();
    const payment = harness.request();
    harness.useWith(async () => {
      throw new Error('the order refused');
    });
    await expect(harness.run(payment)).rejects.toThrow('the order refused');
    expect(await tables.charge(payment.transactionId)).toBeUndefined();
    expect(await tables.idempotencyRecord(payment.transactionId)).toBeUndefined();
  });

  it('stays when the request fails after asking the gateway, and only the record goes', async () => {
    const harness = rideHarness();
    const payment = harness.request();
    harness.useWith(async (guard) => {
      guard?.gatewayAsked();
      throw new Error('the answer was lost');
    });
    await expect(harness.run(payment)).rejects.toThrow('the answer was lost');
    expect(await tables.charge(payment.transactionId)).toMatchObject({ state: 'PENDING' });
    expect(await tables.idempotencyRecord(payment.transactionId)).toBeUndefined();
  });
});
