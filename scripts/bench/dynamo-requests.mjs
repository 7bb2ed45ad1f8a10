// @ts-check
import { createApi, gatewaySignature } from '../lib/common/api.mjs';
import { num, table, verdict } from '../lib/common/report.mjs';
import { startDynamoCounter } from '../lib/measure/dynamo-counter.mjs';
import { record, say, TARGETS } from './summary.mjs';
import { createOrder, DELIVERED_PREFIX, newIds, paymentBody } from './workload.mjs';

/**
 * Part 2: DynamoDB requests of a first payment and of its replay.
 * @param {ReturnType<typeof createApi>} call
 * @param {Awaited<ReturnType<typeof startDynamoCounter>>} counter
 * @param {Record<string, string>} env
 * @param {number} samples
 */
export async function benchDynamoRequests(call, counter, env, samples) {
  say('\n## DynamoDB requests (counted by a proxy in front of DynamoDB Local)');
  const serviceOf = tableOwners(env);
  /** @type {number[]} */
  const first = [];
  /** @type {number[]} */
  const ours = [];
  /** @type {number[]} */
  const replay = [];
  /** @type {number[]} */
  const callbackRepeat = [];
  /** @type {Record<string, number>} */
  const byOperation = {};
  /** @type {Record<string, number>} */
  const byService = {};
  /** @type {Record<string, number>} */
  const byServiceOperation = {};
  let replayHeaderSeen = 0;
  for (let i = 0; i < samples; i++) {
    const ids = newIds(`bench-count-${i}`);
    await createOrder(call, ids);
    counter.reset();
    const paid = await call('POST', '/payments', { body: paymentBody(ids) });
    const firstCounts = counter.counts();
    counter.reset();
    const again = await call('POST', '/payments', { body: paymentBody(ids) });
    const replayCounts = counter.counts();
    // The gateway's callback for the payment that is already final: a repeat.
    const rawBody = JSON.stringify({
      transactionId: ids.transactionId,
      status: 'succeeded',
      gatewayReference: paid.body?.gatewayReference ?? `sim_${ids.transactionId}`,
    });
    counter.reset();
    const callback = await call('POST', '/payments/callback', {
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-gateway-signature': gatewaySignature(rawBody, env.GATEWAY_WEBHOOK_SECRET ?? ''),
      },
    });
    callbackRepeat.push(counter.counts().total);
    if (callback.status !== 200) {
      say(`  callback ${ids.transactionId}: ${callback.status} (${callback.text.slice(0, 120)})`);
    }
    if (paid.status !== 201 || again.status >= 300) {
      say(
        `  payment ${ids.transactionId}: ${paid.status} then ${again.status} (${again.text.slice(0, 120)})`,
      );
    }
    if (again.headers.get('idempotent-replayed') === 'true') replayHeaderSeen++;
    first.push(firstCounts.total);
    ours.push(firstCounts.requests.filter((r) => !isSimulatorStorage(r, env)).length);
    replay.push(replayCounts.total);
    for (const [op, n] of Object.entries(firstCounts.byOperation))
      byOperation[op] = (byOperation[op] ?? 0) + n;
    for (const request of firstCounts.requests) {
      const services = new Set(request.tables.map((t) => serviceOf[t] ?? t));
      for (const service of services) byService[service] = (byService[service] ?? 0) + 1;
      const key = `${services.size ? [...services].join('+') : '?'} ${request.operation}`;
      byServiceOperation[key] = (byServiceOperation[key] ?? 0) + 1;
    }
  }
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const firstMean = mean(first);
  const oursMean = mean(ours);
  const replayMean = mean(replay);
  const callbackMean = mean(callbackRepeat);
  // No target: issue 24 retired the request count (write units are the budget, below).
  say(
    `A first payment: ${num(oursMean, 1)} requests on the three services' tables, plus ` +
      `${num(firstMean - oursMean, 1)} by the local simulators of the gateway (its ledger) and of ` +
      `the notification channel (its delivered copy), ${num(firstMean, 1)} in all; in AWS those ` +
      'two are a real gateway and a real channel, not our tables.',
  );
  record(
    'DynamoDB requests, replay',
    replayMean,
    num(replayMean, 1),
    TARGETS.replayRequests,
    String,
  );
  record(
    'DynamoDB requests, repeated callback',
    callbackMean,
    num(callbackMean, 1),
    TARGETS.callbackRepeatRequests,
    String,
  );
  say(
    table(
      ['request', 'DynamoDB requests (mean)', 'min', 'max', 'verdict'],
      [
        [
          'first payment (payment, order, notification)',
          num(oursMean, 1),
          num(Math.min(...ours)),
          num(Math.max(...ours)),
          '(no target: write units are the budget)',
        ],
        [
          'first payment, with the simulators',
          num(firstMean, 1),
          num(Math.min(...first)),
          num(Math.max(...first)),
          '(no target)',
        ],
        [
          `replay (${replayHeaderSeen}/${samples} had Idempotent-Replayed)`,
          num(replayMean, 1),
          num(Math.min(...replay)),
          num(Math.max(...replay)),
          verdict(replayMean, TARGETS.replayRequests, String),
        ],
        [
          'repeated callback (payment already final)',
          num(callbackMean, 1),
          num(Math.min(...callbackRepeat)),
          num(Math.max(...callbackRepeat)),
          verdict(callbackMean, TARGETS.callbackRepeatRequests, String),
        ],
      ],
    ),
  );
  const per = (/** @type {Record<string, number>} */ m) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${num(n / samples, 1)}`)
      .join(', ');
  say(`\nA first payment, by operation: ${per(byOperation)}`);
  say(`A first payment, by service (owner of the tables): ${per(byService)}`);
  say(`A first payment, by service and operation: ${per(byServiceOperation)}`);
}

/** Table name → owning service, from the functions' environment. @param {Record<string, string>} env */
function tableOwners(env) {
  /** @type {Record<string, string>} */
  const owners = {};
  for (const [variable, service] of Object.entries({
    ORDERS_TABLE: 'order',
    ORDER_AUDIT_TABLE: 'order',
    PAYMENTS_TABLE: 'payment',
    CHARGES_TABLE: 'payment',
    IDEMPOTENCY_TABLE: 'payment',
    NOTIFICATIONS_TABLE: 'notification',
  })) {
    const name = env[variable];
    if (name) owners[name] = service;
  }
  return owners;
}

/**
 * True for a request of the local simulators, not of the three services: the
 * gateway simulator's ledger, and the local notification channel's delivered
 * copy (a `DELIVERED#` item in the notifications table, lib/notification/channel.ts).
 * @param {{ tables: string[], itemPk?: string }} request
 * @param {Record<string, string>} env
 */
function isSimulatorStorage(request, env) {
  if (env.GATEWAY_LEDGER_TABLE && request.tables.includes(env.GATEWAY_LEDGER_TABLE)) return true;
  return request.itemPk?.startsWith(DELIVERED_PREFIX) ?? false;
}
