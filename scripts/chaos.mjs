#!/usr/bin/env node
import { runCli, UsageError } from './lib/common/cli.mjs';
import { num, table } from './lib/common/report.mjs';
// @ts-check
/**
 * `npm run chaos [-- --n 10000]`: N payment requests over many transactionIds,
 * with duplicates in flight, injected downstream faults (5xx, network errors,
 * delays past the timeout) and crashes after charging; then the outbox relay
 * drains and every promise is checked against the tables:
 * charges = unique transactionIds, every succeeded payment's order PAID and
 * every declined one's PAYMENT_FAILED, exactly one notification per payment,
 * no event left pending or dead, every audit trail complete.
 * Prints the counts; exits 1 on any violation (2 on a bad command line).
 *
 * Against BASE_URL's stack (with LAMBDA_URL, DYNAMODB_ENDPOINT, STAGE), or a
 * private one it starts and stops.
 *
 * `--crash [--kills 6]`: the crash run (scripts/lib/proofs/crash-run.mjs) on a private
 * stack on disk: serverless-offline's whole process group SIGKILLed at random
 * moments while payments are in flight (DynamoDB Local once), restarted on its
 * data; then the same promises, plus the gateway's ledger, nothing stuck
 * SENDING and no idempotency record in progress past its expiry.
 */
import { runChaos } from './lib/proofs/chaos-run.mjs';
import { runCrash } from './lib/proofs/crash-run.mjs';
import { describeViolations } from './lib/proofs/invariants.mjs';
import { connectOrStart, isLocalUrl } from './lib/stack/target.mjs';

const spec = /** @type {const} */ ({
  n: {
    type: 'integer',
    default: 2000,
    env: 'CHAOS_N',
    min: 1,
    max: 10_000,
    describe: 'payment requests to send',
  },
  concurrency: {
    type: 'integer',
    default: 16,
    env: 'CHAOS_CONCURRENCY',
    min: 1,
    max: 200,
    describe: 'transactionIds in flight at once',
  },
  dupRate: {
    type: 'number',
    default: 0.3,
    env: 'CHAOS_DUP_RATE',
    min: 0,
    max: 1,
    describe: 'share of transactionIds sent 2-4 times at once',
  },
  faultRate: {
    type: 'number',
    default: 0.3,
    env: 'CHAOS_FAULT_RATE',
    min: 0,
    max: 1,
    describe: 'share of requests with an injected fault',
  },
  declineRate: {
    type: 'number',
    default: 0.2,
    env: 'CHAOS_DECLINE_RATE',
    min: 0,
    max: 1,
    describe: 'share of payments with an amount the gateway declines',
  },
  callbackRate: {
    type: 'number',
    default: 0.2,
    env: 'CHAOS_CALLBACK_RATE',
    min: 0,
    max: 1,
    describe: 'share of payments whose gateway callback arrives 1-3 times, racing the request',
  },
  seed: {
    type: 'integer',
    default: Math.floor(Math.random() * 1e9),
    env: 'CHAOS_SEED',
    min: 0,
    describe: 'seed of the workload (printed, to replay a run)',
  },
  arbiter: {
    type: 'integer',
    default: 3,
    env: 'CHAOS_ARBITER',
    min: 0,
    max: 100,
    describe:
      'how many of each order scenario: missing and mismatched orders, racing transactionIds, a stranger reusing a paid transactionId, decline then retry, an order outage',
  },
  slowHolder: {
    type: 'boolean',
    default: true,
    env: 'CHAOS_SLOW_HOLDER',
    describe:
      "add the slow-gateway takeover scenario: the holder's charge lands after its 60 s lease while a second payment and the holder's retry race (takes 75 s)",
  },
  outageSeconds: {
    type: 'integer',
    default: 120,
    env: 'CHAOS_OUTAGE_SECONDS',
    min: 0,
    max: 3600,
    describe: 'how long the order service answers 503 to the relay in the outage scenario',
  },
  crash: {
    type: 'boolean',
    default: false,
    env: 'CHAOS_CRASH',
    describe:
      'crash run: a private stack on disk, serverless-offline SIGKILLed --kills times mid-burst (DynamoDB Local once) and restarted',
  },
  kills: {
    type: 'integer',
    default: 6,
    env: 'CHAOS_KILLS',
    min: 1,
    max: 100,
    describe: 'crash run: how many times the stack is killed',
  },
  drainSeconds: {
    type: 'integer',
    default: 300,
    env: 'CHAOS_DRAIN_SECONDS',
    min: 1,
    max: 3600,
    describe: 'how long the relay may take to deliver what is pending',
  },
});

const usage = 'usage: npm run chaos [-- options]';
const say = (/** @type {string} */ line = '') => process.stdout.write(`${line}\n`);

/**
 * `--crash`: the crash run on a private stack (scripts/lib/proofs/crash-run.mjs).
 * @param {{ [K in keyof typeof spec]: any } & { help: boolean }} options
 */
async function crashMain(options) {
  if (process.env.BASE_URL) {
    throw new UsageError(
      '--crash kills and restarts the stack, so it always runs a private one: unset BASE_URL.',
    );
  }
  const n = options.n === spec.n.default ? 60 : options.n;
  const result = await runCrash({ ...options, n, log: say });
  const c = result.counts;
  say(`\n## Crash run ${result.prefix} (seed ${options.seed})\n`);
  say(
    table(
      ['what', 'count'],
      [
        ['payment requests (first attempts, duplicates included)', num(result.requests)],
        ['unique transactionIds', num(c.transactions)],
        ['client retries (409, 5xx, no answer)', num(result.retries)],
        [
          'kills of serverless-offline (of them with DynamoDB Local)',
          `${num(result.kills.length)} (${result.kills.filter((/** @type {any} */ k) => k.database).length})`,
        ],
        [
          'charges in the gateway ledger / in our charges table',
          `${num(c.ledgerCharges)} / ${num(c.charges)}`,
        ],
        ['payments SUCCEEDED / FAILED', `${num(c.succeeded)} / ${num(c.failed)}`],
        ['orders PAID / PAYMENT_FAILED', `${num(c.ordersPaid)} / ${num(c.ordersPaymentFailed)}`],
        [
          'notifications SENT / SKIPPED / half-sent',
          `${num(c.notificationsSent)} / ${num(c.notificationsSkipped)} / ${num(c.notificationsSending + c.notificationsHalfSent)}`,
        ],
        [
          'outbox events DELIVERED / PENDING / DEAD',
          `${num(c.eventsDelivered)} / ${num(c.eventsPending)} / ${num(c.eventsDead)}`,
        ],
        ['idempotency records still IN_PROGRESS', num(c.idempotencyInProgress)],
        ['relay invocations to drain', num(result.drain.invocations)],
      ],
    ),
  );
  say(
    `\nKills: ${result.kills
      .map(
        (/** @type {any} */ k) =>
          `#${k.n} at ${k.atSeconds.toFixed(1)} s${k.database ? ' (+DynamoDB)' : ''}, ${k.inFlight} payment requests in flight, back in ${k.restartSeconds.toFixed(1)} s`,
      )
      .join('; ')}`,
  );
  say(
    `Requests took ${result.requestSeconds.toFixed(1)} s; each attempt p50 ${num(result.latency.p50)} ms, p99 ${num(result.latency.p99)} ms.`,
  );
  if (result.violations.length > 0) {
    say(
      `\nBROKEN PROMISES (${result.violations.length}):\n${describeViolations(result.violations)}`,
    );
    return 1;
  }
  say(
    '\nEvery invariant held after every kill: one charge per transactionId (gateway ledger and our table), orders PAID once, one notification each, nothing pending, dead or stuck.',
  );
  return 0;
}

/** @param {{ [K in keyof typeof spec]: any } & { help: boolean }} options */
async function main(options) {
  if (options.crash) return crashMain(options);
  if (process.env.BASE_URL && isLocalUrl(process.env.BASE_URL) && !process.env.DYNAMODB_ENDPOINT) {
    throw new UsageError(
      'The invariants are checked in the tables: with a local BASE_URL, set DYNAMODB_ENDPOINT too (`npm start` prints it).',
    );
  }
  const target = await connectOrStart({ stage: 'test', say });
  try {
    const result = await runChaos({
      ...options,
      baseUrl: target.baseUrl,
      lambdaUrl: target.lambdaUrl,
      stage: target.stage,
      dynamoEndpoint: target.dynamoEndpoint,
      env: target.env,
      log: say,
    });
    const c = result.counts;
    const line = (/** @type {Record<string, number>} */ m) =>
      Object.entries(m)
        .sort()
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
    say(`\n## Chaos run ${result.prefix} (seed ${options.seed})\n`);
    say(
      table(
        ['what', 'count'],
        [
          ['payment requests sent (first attempts)', num(result.requests)],
          ['client retries (after 409/5xx)', num(result.retries)],
          ['unique transactionIds', num(c.transactions)],
          ['answers replayed (Idempotent-Replayed)', num(result.replays)],
          ['charges in the charges table', num(c.charges)],
          ['payments SUCCEEDED / FAILED', `${num(c.succeeded)} / ${num(c.failed)}`],
          ['orders PAID / PAYMENT_FAILED', `${num(c.ordersPaid)} / ${num(c.ordersPaymentFailed)}`],
          [
            'notifications SENT / SKIPPED',
            `${num(c.notificationsSent)} / ${num(c.notificationsSkipped)}`,
          ],
          [
            'outbox events DELIVERED / PENDING / DEAD',
            `${num(c.eventsDelivered)} / ${num(c.eventsPending)} / ${num(c.eventsDead)}`,
          ],
          ['order audit entries', num(c.auditEntries)],
          ['relay invocations to drain', num(result.drain.invocations)],
        ],
      ),
    );
    say(`\nOrder scenarios: ${line(result.arbiter) || 'none'}`);
    say(`First answers: ${line(result.firstStatuses)}`);
    say(`Final answers: ${line(result.finalStatuses)}`);
    say(`Faults injected: ${line(result.faultsSent) || 'none'}`);
    say(
      `Gateway callbacks: ${line(result.callbackStatuses) || 'none'} (${result.callbacksThatChanged} changed something)`,
    );
    say(
      `Requests took ${result.requestSeconds.toFixed(1)} s; each attempt p50 ${num(result.latency.p50)} ms, ` +
        `p99 ${num(result.latency.p99)} ms; ${result.lambdaTimeouts} function timeouts (offline's HTTP 200 LambdaTimeoutError) retried.`,
    );
    if (result.violations.length > 0) {
      say(
        `\nBROKEN PROMISES (${result.violations.length}):\n${describeViolations(result.violations)}`,
      );
      // The stack's log is the post-mortem: it outlives a run that broke a promise.
      target.keepLogs?.('a promise was broken');
      return 1;
    }
    say(
      '\nEvery invariant held: one charge per transactionId, orders follow payments, one notification each, nothing pending or dead, audit trails complete.',
    );
    return 0;
  } finally {
    await target.stop();
  }
}

runCli({ name: 'chaos', usage, spec, main });
