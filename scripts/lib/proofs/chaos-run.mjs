// @ts-check
/**
 * The chaos run behind `npm run chaos` and test/e2e/chaos-small.test.ts:
 * many payments over many transactionIds, with duplicates in flight at the
 * same moment, injected downstream faults (5xx, network errors, delays past
 * the timeout) and crashes after charging; clients that retry the way a real
 * client does (after a 409 or a 5xx, honouring Retry-After); then the outbox
 * relay is run until nothing is pending, and the promises are checked against
 * the tables (scripts/lib/proofs/invariants.mjs).
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createApi, gatewaySignature, invokeRelay } from '../common/api.mjs';
import { mapLimit } from '../common/pool.mjs';
import { percentile } from '../common/report.mjs';
import { SHARD_COUNTS } from '../measure/shard-counts.mjs';
import { runArbiterScenarios } from './chaos-arbiter.mjs';
import { checkInvariants } from './invariants.mjs';
import { documentClient, normalizeTables, scanLedger, scanTables } from './snapshot.mjs';

/**
 * The faults a request may carry (x-fault-inject grammar of lib/shared/fault-injection.ts),
 * with their relative weights. The delay is past the 3 s downstream timeout.
 */
export const FAULT_MIX = /** @type {const} */ ([
  ['order=status:503', 3],
  ['notification=status:503', 2],
  ['order=status:503,notification=status:502', 1],
  ['order=network', 1],
  ['notification=delay:5000', 1],
  ['payment=crash-after-charge', 3],
  ['gateway=timeout', 1],
]);

/**
 * A small, seedable PRNG (mulberry32), so a failing run can be replayed with its seed.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {{
 *   transactionId: string, orderId: string, userId: string, amount: number,
 *   declined: boolean, copies: string[], callbacks: number,
 * }} PlannedPayment one transactionId, sent `copies.length` times at once (each copy's fault, '' = none),
 *   while the gateway sends its signed callback `callbacks` times
 */

/**
 * Plans `n` requests: unique transactionIds, a share sent 2–4 times at once,
 * a share of requests with a fault, a share of amounts the gateway simulator declines.
 * @param {{
 *   n: number, prefix: string, random: () => number, dupRate: number,
 *   faultRate: number, declineRate: number, callbackRate?: number, usersPerPayment?: number,
 *   declinedAmount: number, approvedAmount: number,
 * }} options
 * @returns {PlannedPayment[]}
 */
export function planWorkload(options) {
  const { n, prefix, random } = options;
  const totalWeight = FAULT_MIX.reduce((sum, [, w]) => sum + w, 0);
  const pickFault = () => {
    if (random() >= options.faultRate) return '';
    let roll = random() * totalWeight;
    for (const [fault, weight] of FAULT_MIX) {
      roll -= weight;
      if (roll < 0) return fault;
    }
    return FAULT_MIX[0][0];
  };
  /** @type {PlannedPayment[]} */
  const plan = [];
  let sent = 0;
  const users = Math.max(1, Math.round(n / (options.usersPerPayment ?? 4)));
  for (let i = 0; sent < n; i++) {
    const wanted = random() < options.dupRate ? 2 + Math.floor(random() * 3) : 1;
    const count = Math.min(wanted, n - sent);
    sent += count;
    const declined = random() < options.declineRate;
    plan.push({
      transactionId: `${prefix}-t-${i}`,
      orderId: `${prefix}-o-${i}`,
      userId: `${prefix}-u-${i % users}`,
      amount: declined ? options.declinedAmount : options.approvedAmount,
      declined,
      copies: Array.from({ length: count }, pickFault),
      callbacks: random() < (options.callbackRate ?? 0) ? 1 + Math.floor(random() * 3) : 0,
    });
  }
  return plan;
}

/**
 * The order a planned payment is for (POST /orders body).
 * @param {PlannedPayment} p
 */
export function orderOf(p) {
  return { orderId: p.orderId, userId: p.userId, amount: p.amount, currency: 'USD' };
}

/**
 * A planned payment's POST /payments body.
 * @param {PlannedPayment} p
 */
export function paymentOf(p) {
  return { transactionId: p.transactionId, ...orderOf(p) };
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * serverless-offline's answer when a function timed out: HTTP 200 with a
 * `LambdaTimeoutError` body (API Gateway would say 503/504). A client cannot
 * take it as an answer, so it retries, as it would after a gateway timeout.
 * @param {{ status: number, body?: any }} answer
 */
export function isLambdaTimeout(answer) {
  return answer.status === 200 && typeof answer.body?.errorType === 'string';
}

/**
 * One client sending one payment until it gets a final answer: after a 409
 * (the same payment is in flight), a 5xx or a network failure it waits
 * (Retry-After, else capped exponential backoff with jitter) and sends the
 * same body again, without the injected fault: the fault happened once.
 * @param {(method: string, path: string, request: import('../common/api.mjs').ApiRequest) =>
 *   Promise<import('../common/api.mjs').ApiAnswer>} call the API's caller (createApi)
 * @param {Record<string, unknown>} body
 * @param {string} fault
 * @param {{ maxAttempts: number, random: () => number, onAnswer?: () => void,
 *           inProgressWaitMs?: number, deadline?: number }} options `deadline`: epoch ms
 *   after which no new attempt starts
 */
export async function payUntilFinal(call, body, fault, options) {
  /** @type {number[]} */
  const statuses = [];
  /** @type {number[]} */
  const latencies = [];
  let timeouts = 0;
  let headers = fault ? { 'x-fault-inject': fault } : undefined;
  // A 409 means the first request still holds the key: if it died, it holds
  // it until its function's timeout has passed (Powertools' in-progress
  // expiry). A client waits that long before it calls it a failure.
  const inProgressHorizon = Date.now() + (options.inProgressWaitMs ?? 45_000);
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const answer = await call('POST', '/payments', { body, headers });
    statuses.push(answer.status);
    latencies.push(answer.ms);
    if (isLambdaTimeout(answer)) timeouts++;
    options.onAnswer?.();
    // A 409 is worth waiting out only while something is in progress
    // (the same key, or another payment holding the order); ORDER_NOT_PAYABLE is final.
    const inProgress =
      answer.status === 409 && /_IN_PROGRESS$/.test(String(answer.body?.error?.code ?? ''));
    const retryable =
      inProgress || answer.status === 0 || answer.status >= 500 || isLambdaTimeout(answer);
    const outOfTries =
      (inProgress ? Date.now() > inProgressHorizon : attempt >= options.maxAttempts) ||
      (options.deadline !== undefined && Date.now() > options.deadline);
    if (!retryable || outOfTries) return { answer, statuses, latencies, timeouts };
    headers = undefined;
    const retryAfterMs = Number(answer.headers.get('retry-after')) * 1000;
    const backoff = Math.min(2000, 100 * 2 ** attempt) * (0.5 + options.random() / 2);
    await sleep(retryAfterMs > 0 ? Math.min(retryAfterMs, 3000) : backoff);
  }
}

/**
 * The gateway's signed callback for a planned payment, sent like a gateway
 * does: only once it has decided (its ledger has the key: a gateway calls
 * back about what it charged or declined, never before, and never about a
 * voided key), with what it decided, and again after a failure (a 404 while
 * our charge is not written yet, a 5xx).
 * @param {ReturnType<typeof createApi>} call
 * @param {PlannedPayment} p
 * @param {{ secret: string, random: () => number, maxAttempts?: number,
 *   decided?: (transactionId: string) => Promise<string | undefined> }} options
 *   `decided`: the gateway ledger's outcome of the key (undefined: not yet)
 */
export async function sendCallback(call, p, options) {
  /** @type {number[]} */
  const statuses = [];
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // Like a gateway: soon at first, then backing off.
    await sleep(options.random() * Math.min(3000, 300 * 2 ** (attempt - 1)));
    const outcome = options.decided
      ? await options.decided(p.transactionId)
      : p.declined
        ? 'declined'
        : 'succeeded';
    if (outcome === undefined) continue;
    if (outcome === 'voided') return { answer: undefined, statuses };
    const declined = outcome === 'declined';
    const rawBody = JSON.stringify({
      transactionId: p.transactionId,
      status: declined ? 'failed' : 'succeeded',
      gatewayReference: `sim_${p.transactionId}`,
      ...(declined ? { failureReason: 'insufficient_funds' } : {}),
    });
    const answer = await call('POST', '/payments/callback', {
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-gateway-signature': gatewaySignature(rawBody, options.secret),
      },
    });
    statuses.push(answer.status);
    const tryAgain =
      answer.status === 0 ||
      answer.status === 404 ||
      answer.status === 409 ||
      answer.status >= 500 ||
      isLambdaTimeout(answer);
    if (!tryAgain) return { answer, statuses };
  }
  return { answer: undefined, statuses };
}

/**
 * How many items of this run one sparse, write-sharded index still holds
 * under `value` (every shard `<value>#NN`, as lib/shared/shards.ts writes
 * them; shard counts from shard-counts.mjs).
 * @param {import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient} doc
 * @param {{ table: string, index: keyof typeof SHARD_COUNTS, attribute: string, value: string }} key
 * @param {string} prefix
 */
async function countListed(doc, key, prefix) {
  const shards = Array.from(
    { length: SHARD_COUNTS[key.index] },
    (_, shard) => `${key.value}#${String(shard).padStart(2, '0')}`,
  );
  const counts = await Promise.all(
    shards.map(async (shard) => {
      let count = 0;
      /** @type {Record<string, any> | undefined} */
      let start;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: key.table,
            IndexName: key.index,
            KeyConditionExpression: '#key = :shard',
            ExpressionAttributeNames: { '#key': key.attribute },
            ExpressionAttributeValues: { ':shard': shard },
            ExclusiveStartKey: start,
          }),
        );
        count += (page.Items ?? []).filter(
          (e) => typeof e.transactionId === 'string' && e.transactionId.startsWith(prefix),
        ).length;
        start = page.LastEvaluatedKey;
      } while (start);
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * The work of this run the relay function has still to do: its outbox
 * events PENDING (the relay's), and its charges still on the reconciler's
 * list (a payment not final, or one whose events its request neither
 * delivered nor put in the outbox: the reconciler hands them over).
 * @param {import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient} doc
 * @param {{ payments: string, charges: string }} tables
 * @param {string} prefix
 */
export async function pendingWork(doc, tables, prefix) {
  const [events, charges] = await Promise.all([
    countListed(
      doc,
      { table: tables.payments, index: 'outbox-due', attribute: 'outboxStatus', value: 'PENDING' },
      prefix,
    ),
    countListed(
      doc,
      {
        table: tables.charges,
        index: 'charges-unfinalized',
        attribute: 'unfinalized',
        value: 'Y',
      },
      prefix,
    ),
  ]);
  return { events, charges, total: events + charges };
}

/**
 * The tables {@link pendingWork} reads, from the functions' environment.
 * @param {Record<string, string | undefined>} env
 */
export function drainTables(env) {
  const { PAYMENTS_TABLE: payments, CHARGES_TABLE: charges } = env;
  if (!payments || !charges)
    throw new Error('PAYMENTS_TABLE or CHARGES_TABLE is not in the functions environment');
  return { payments, charges };
}

/**
 * Runs the relay (and the reconciler it runs first) until nothing of this
 * run is pending ({@link pendingWork}) or `timeoutMs` passes. Without a
 * Lambda invoke URL (a deployed stack) it waits for the scheduled relay.
 * @param {{ lambdaUrl?: string, stage: string, doc: any, tables: { payments: string, charges: string },
 *           prefix: string, timeoutMs: number, log: (line: string) => void }} options
 */
export async function drainRelay(options) {
  const deadline = Date.now() + options.timeoutMs;
  let invocations = 0;
  let work = await pendingWork(options.doc, options.tables, options.prefix);
  options.log(
    `  ${work.events} events pending and ${work.charges} charges on the reconciler's list after the requests`,
  );
  while (work.total > 0 && Date.now() < deadline) {
    if (options.lambdaUrl) {
      const report = await invokeRelay(options.lambdaUrl, options.stage).catch((error) => ({
        error: String(error),
      }));
      invocations++;
      options.log(`  relay run ${invocations}: ${JSON.stringify(report).slice(0, 160)}`);
    }
    // Events the relay retried are due again after their backoff, charges after their grace: look again shortly.
    await sleep(options.lambdaUrl ? 500 : 5000);
    work = await pendingWork(options.doc, options.tables, options.prefix);
  }
  const pending = work.total;
  return { pending, invocations };
}

/**
 * The whole run. Everything it writes carries a fresh prefix, so it shares
 * tables with other runs and tests without reading their rows.
 * @param {{
 *   baseUrl: string, lambdaUrl?: string, stage: string, dynamoEndpoint?: string,
 *   env: Record<string, string>, n: number, concurrency: number, dupRate: number,
 *   faultRate: number, declineRate: number, callbackRate?: number, seed: number,
 *   drainSeconds: number, declinedAmount?: number, approvedAmount?: number,
 *   arbiter?: number, outageSeconds?: number, slowHolder?: boolean,
 *   log?: (line: string) => void,
 * }} options  `arbiter`: how many of each order scenario (chaos-arbiter.mjs) to add;
 *   `outageSeconds`: how long the order service answers 503 to the relay meanwhile;
 *   `slowHolder`: add the slow-gateway takeover scenario (it waits out a 60 s hold lease)
 */
export async function runChaos(options) {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const prefix = `chaos-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const plan = planWorkload({
    n: options.n,
    prefix,
    random,
    dupRate: options.dupRate,
    faultRate: options.faultRate,
    declineRate: options.declineRate,
    callbackRate: options.callbackRate ?? 0,
    declinedAmount: options.declinedAmount ?? 20.51,
    approvedAmount: options.approvedAmount ?? 20.25,
  });
  const call = createApi(options.baseUrl, { timeoutMs: 60_000 });
  const started = Date.now();

  log(
    `Run ${prefix}: ${options.n} requests over ${plan.length} transactionIds (seed ${options.seed}).`,
  );
  log(`Creating ${plan.length} orders...`);
  await mapLimit(plan, options.concurrency, async (p) => {
    const body = orderOf(p);
    // A client retries a create that got no answer (POST /orders is idempotent on orderId).
    for (let attempt = 1; ; attempt++) {
      const answer = await call('POST', '/orders', { body });
      const created = (answer.status === 201 || answer.status === 200) && answer.body?.status;
      if (created) return;
      if (attempt >= 5 || (answer.status >= 400 && answer.status < 500)) {
        throw new Error(
          `POST /orders ${p.orderId} answered ${answer.status} (attempt ${attempt}): ${answer.text.slice(0, 300)}`,
        );
      }
      await sleep(200 * attempt);
    }
  });

  log('Sending payments (duplicates in flight, faults injected, clients retrying)...');
  /** @type {Record<string, number>} */
  const firstStatuses = {};
  /** @type {Record<string, number>} */
  const finalStatuses = {};
  /** @type {import('./invariants.mjs').Violation[]} */
  const answerViolations = [];
  /** @type {Record<string, number>} */
  const callbackStatuses = {};
  let callbacksThatChanged = 0;
  const secret = options.env.GATEWAY_WEBHOOK_SECRET || 'local-dev-webhook-secret';
  let replays = 0;
  let retries = 0;
  let lambdaTimeouts = 0;
  /** @type {number[]} */
  const latencies = [];
  let done = 0;
  const faultsSent = /** @type {Record<string, number>} */ ({});
  // What the gateway decided under a key (its ledger), for its callbacks.
  // One client for the run's own reads: the gateway's decisions now, the tables at the end.
  const doc = documentClient(options.dynamoEndpoint);
  const ledgerTable = options.env.GATEWAY_LEDGER_TABLE;
  /** @param {string} transactionId */
  const decided = async (transactionId) => {
    if (!ledgerTable) return undefined;
    const out = await doc.send(
      new GetCommand({
        TableName: ledgerTable,
        Key: { idempotencyKey: transactionId },
        ConsistentRead: true,
      }),
    );
    return out.Item ? String(out.Item.result?.outcome) : undefined;
  };
  await mapLimit(plan, options.concurrency, async (p) => {
    const body = paymentOf(p);
    // The gateway calls back once it has charged: from the first answer on, racing the retries.
    /** @type {(value?: unknown) => void} */
    let firstAnswer = () => undefined;
    const answered = new Promise((resolve) => {
      firstAnswer = resolve;
    });
    const gateway = Promise.all(
      Array.from({ length: p.callbacks }, () =>
        answered.then(() => sendCallback(call, p, { secret, random, decided })),
      ),
    );
    const results = await Promise.all(
      p.copies.map((fault) => {
        if (fault) faultsSent[fault] = (faultsSent[fault] ?? 0) + 1;
        return payUntilFinal(call, body, fault, { maxAttempts: 12, random, onAnswer: firstAnswer });
      }),
    );
    firstAnswer();
    for (const { answer, statuses } of await gateway) {
      const key = String(answer?.status ?? statuses.at(-1));
      callbackStatuses[key] = (callbackStatuses[key] ?? 0) + 1;
      if (answer?.body?.changed) callbacksThatChanged++;
      if (answer?.status !== 200) {
        answerViolations.push({
          invariant: 'every genuine callback is accepted',
          id: p.transactionId,
          detail: `callback statuses ${statuses.join(',')}`,
        });
      }
    }
    const outcomes = new Set();
    for (const { answer, statuses, latencies: ms, timeouts } of results) {
      latencies.push(...ms);
      lambdaTimeouts += timeouts;
      const first = String(statuses[0]);
      firstStatuses[first] = (firstStatuses[first] ?? 0) + 1;
      finalStatuses[answer.status] = (finalStatuses[answer.status] ?? 0) + 1;
      retries += statuses.length - 1;
      if (answer.headers.get('idempotent-replayed') === 'true') replays++;
      if ((answer.status !== 201 && answer.status !== 200) || isLambdaTimeout(answer)) {
        answerViolations.push({
          invariant: 'every client gets a final answer',
          id: p.transactionId,
          detail: `statuses ${statuses.join(',')}: ${answer.text.slice(0, 160)}`,
        });
      } else {
        outcomes.add(answer.body?.status ?? answer.body?.payment?.status);
      }
    }
    if (outcomes.size > 1) {
      answerViolations.push({
        invariant: 'replays agree with the first answer',
        id: p.transactionId,
        detail: `answers disagree: ${[...outcomes].join(' vs ')}`,
      });
    }
    done++;
    if (done % 500 === 0) log(`  ${done}/${plan.length} transactionIds answered`);
  });
  const arbiter = await runArbiterScenarios({
    call,
    pay: (body, fault) => payUntilFinal(call, body, fault, { maxAttempts: 12, random }),
    prefix,
    count: options.arbiter ?? 0,
    outageMs: (options.outageSeconds ?? 0) * 1000,
    slowHolder: options.slowHolder,
    lambdaUrl: options.lambdaUrl,
    stage: options.stage,
    log,
  });
  const requestSeconds = (Date.now() - started) / 1000;

  log('Draining the outbox relay...');
  const drain = await drainRelay({
    lambdaUrl: options.lambdaUrl,
    stage: options.stage,
    doc,
    tables: drainTables(options.env),
    prefix,
    timeoutMs: options.drainSeconds * 1000,
    log,
  });

  log('Checking the invariants against the tables...');
  // The gateway's own ledger is the judge of what was charged (invariant 8).
  const snapshot = {
    ...normalizeTables(await scanTables(doc, options.env), prefix),
    ledger: await scanLedger(doc, options.env, prefix),
  };
  const { counts, violations } = checkInvariants(snapshot, [
    ...plan.map(({ transactionId, orderId, userId }) => ({ transactionId, orderId, userId })),
    ...arbiter.expected.map(({ transactionId, orderId, userId }) => ({
      transactionId,
      orderId,
      userId,
    })),
  ]);
  doc.destroy();
  return {
    prefix,
    plan,
    requests: options.n,
    requestSeconds,
    firstStatuses,
    finalStatuses,
    faultsSent,
    callbackStatuses,
    callbacksThatChanged,
    replays,
    retries,
    lambdaTimeouts,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    drain,
    counts,
    arbiter: arbiter.tally,
    violations: [...answerViolations, ...arbiter.violations, ...violations],
  };
}
