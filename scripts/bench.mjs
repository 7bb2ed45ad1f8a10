#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: one run on a private local stack, printing side by side
 * and as ratios:
 *
 * 1. throughput and p50/p99 latency of the payment flow (POST /payments,
 *    which calls order and notification) against a trivial chain of three
 *    functions calling each other the same way on the same serverless-offline
 *    (the ceiling of the local stack; functions/bench/chain.ts);
 * 2. DynamoDB requests per first payment, across every service, and per
 *    replay, counted by a proxy in front of DynamoDB Local;
 * 3. each function's bundle size and import+init time in a fresh Node
 *    process, against a bundle that only builds a DynamoDB document client
 *    and a Powertools Logger.
 *
 * A benchmark prints figures; it does not fail on a slow machine. It exits
 * non-zero only when it could not measure (the stack did not start...).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from './lib/api.mjs';
import { BASELINE, buildBundles, measureInit } from './lib/bundles.mjs';
import { runCli } from './lib/cli.mjs';
import { startDynamoCounter } from './lib/dynamo-counter.mjs';
import { startDynamoDbLocal } from './lib/dynamodb-local.mjs';
import { lambdaDurations, runLoad } from './lib/load.mjs';
import { mapLimit } from './lib/pool.mjs';
import { num, percentile, ratio, table, times, verdict } from './lib/report.mjs';
import { functionEnvironment } from './lib/stack.mjs';
import { resolvedServerlessConfig } from './lib/tables.mjs';
import { connectOrStart, stopOnSignal } from './lib/target.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const spec = /** @type {const} */ ({
  connections: {
    type: 'integer',
    default: 10,
    env: 'BENCH_CONNECTIONS',
    min: 1,
    max: 100,
    describe: 'concurrent connections of each load run',
  },
  duration: {
    type: 'integer',
    default: 10,
    env: 'BENCH_DURATION',
    min: 1,
    max: 300,
    describe: 'seconds of the ceiling run',
  },
  payments: {
    type: 'integer',
    default: 1000,
    env: 'BENCH_PAYMENTS',
    min: 10,
    max: 50_000,
    describe: 'payments in the payment-flow run',
  },
  samples: {
    type: 'integer',
    default: 10,
    env: 'BENCH_SAMPLES',
    min: 1,
    max: 1000,
    describe: 'payments whose DynamoDB requests are counted',
  },
  rounds: {
    type: 'integer',
    default: 5,
    env: 'BENCH_ROUNDS',
    min: 1,
    max: 50,
    describe: 'fresh Node processes per bundle (median taken)',
  },
  bundleStage: {
    type: 'string',
    default: 'dev',
    env: 'BENCH_BUNDLE_STAGE',
    describe: 'stage whose esbuild settings build the bundles (what `sls deploy` ships)',
  },
  skipLoad: { type: 'boolean', default: false, describe: 'only bundles (no stack, no load)' },
});

const TARGETS = {
  throughput: { atLeast: 0.5 },
  firstPaymentRequests: { atMost: 7 },
  replayRequests: { atMost: 1 },
  bundleKb: { atMost: 500 },
  initRatio: { atMost: 1.3 },
};

const say = (/** @type {string} */ line = '') => process.stdout.write(`${line}\n`);
const pct = (/** @type {number} */ n) => `${Math.round(n * 100)} %`;

/** Part 3: bundles and their init time against the baseline. */
async function benchBundles(/** @type {number} */ rounds, /** @type {string} */ stage) {
  say('\n## Bundles: size and import+init time in a fresh Node process');
  const config = await resolvedServerlessConfig(stage);
  const bundles = await buildBundles(config, path.join(root, '.esbuild', 'bench'));
  // The functions' own environment (table names...), as under a local stack.
  const runtimeEnv = await functionEnvironment('test', 'http://127.0.0.1:1');
  const init = await measureInit(bundles, {
    rounds,
    env: {
      ...process.env,
      ...runtimeEnv,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    },
  });
  const baselineMs = init.get(BASELINE)?.ms;
  const rows = bundles.map((b) => {
    const kb = b.bytes / 1024;
    const measured = init.get(b.name);
    const r = ratio(measured?.ms, baselineMs);
    const isBaseline = b.name === BASELINE;
    return [
      b.name,
      num(kb),
      num(b.gzipBytes / 1024),
      measured?.error ? `failed: ${measured.error.slice(0, 40)}` : num(measured?.ms, 1),
      isBaseline ? '1.00×' : times(r),
      isBaseline ? '' : verdict(kb, TARGETS.bundleKb, (n) => `${n} KB`).split(' (')[0],
      isBaseline ? '' : verdict(r, TARGETS.initRatio, (n) => `${n}×`).split(' (')[0],
    ];
  });
  say(
    `esbuild options of stage ${stage} from serverless.yml custom.esbuild (minify: ${config.custom?.esbuild?.minify}, ` +
      `SDK ${(config.custom?.esbuild?.exclude ?? []).length ? `excluded: ${config.custom.esbuild.exclude.join(' ')}` : 'bundled'}); ` +
      `median of ${rounds} processes.\n`,
  );
  say(
    table(
      ['bundle', 'KB', 'gzip KB', 'init ms', 'vs baseline', 'size ≤ 500 KB', 'init ≤ 1.3×'],
      rows,
    ),
  );
  const largest = [...bundles].sort((a, b) => b.bytes - a.bytes)[0];
  const smallest = bundles.filter((b) => b.name !== BASELINE).sort((a, b) => a.bytes - b.bytes)[0];
  for (const b of [largest, smallest]) {
    if (!b) continue;
    const top = [...b.packages]
      .slice(0, 6)
      .map(([name, bytes]) => `${name} ${num(bytes / 1024)} KB`)
      .join(', ');
    say(`\nWhat ${b.name} is made of (largest first): ${top}`);
  }
}

/**
 * Part 2: DynamoDB requests of a first payment and of its replay.
 * @param {ReturnType<typeof createApi>} call
 * @param {Awaited<ReturnType<typeof startDynamoCounter>>} counter
 * @param {Record<string, string>} env
 * @param {number} samples
 */
async function benchDynamoRequests(call, counter, env, samples) {
  say('\n## DynamoDB requests (counted by a proxy in front of DynamoDB Local)');
  const serviceOf = tableOwners(env);
  /** @type {number[]} */
  const first = [];
  /** @type {number[]} */
  const replay = [];
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
    if (paid.status !== 201 || again.status >= 300) {
      say(
        `  payment ${ids.transactionId}: ${paid.status} then ${again.status} (${again.text.slice(0, 120)})`,
      );
    }
    if (again.headers.get('idempotent-replayed') === 'true') replayHeaderSeen++;
    first.push(firstCounts.total);
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
  const replayMean = mean(replay);
  say(
    table(
      ['request', 'DynamoDB requests (mean)', 'min', 'max', 'verdict'],
      [
        [
          'first payment (all services)',
          num(firstMean, 1),
          num(Math.min(...first)),
          num(Math.max(...first)),
          verdict(firstMean, TARGETS.firstPaymentRequests, String),
        ],
        [
          `replay (${replayHeaderSeen}/${samples} had Idempotent-Replayed)`,
          num(replayMean, 1),
          num(Math.min(...replay)),
          num(Math.max(...replay)),
          verdict(replayMean, TARGETS.replayRequests, String),
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

/** Part 1: the payment flow against the ceiling chain. */
async function benchThroughput(
  /** @type {ReturnType<typeof createApi>} */ call,
  /** @type {string} */ baseUrl,
  /** @type {{ connections: number, duration: number, payments: number, paymentFlow: boolean, logFile?: string }} */ options,
) {
  say('\n## Throughput and latency on one serverless-offline');
  const { connections } = options;
  // Warm both paths: serverless-offline starts a worker per concurrent invocation.
  await runLoad({
    url: `${baseUrl}/__bench/chain`,
    connections,
    amount: connections * 5,
    body: () => ({}),
  });
  const ceiling = await runLoad({
    url: `${baseUrl}/__bench/chain`,
    connections,
    durationSeconds: options.duration,
    body: () => ({}),
  });

  if (!options.paymentFlow) {
    say(
      table(
        ['flow', 'req/s (201)', 'p50 ms', 'p99 ms', 'statuses'],
        [
          [
            'ceiling: 3 trivial functions chained over HTTP',
            num(ceiling.rps, 1),
            num(ceiling.p50),
            num(ceiling.p99),
            JSON.stringify(ceiling.statuses),
          ],
        ],
      ),
    );
    return;
  }
  const warm = connections * 3;
  const pool = Array.from({ length: options.payments + warm }, (_, i) => newIds(`bench-load-${i}`));
  say(`Creating ${pool.length} orders for the payment run...`);
  await mapLimit(pool, connections, (ids) => createOrder(call, ids));
  let next = 0;
  const nextPayment = () => paymentBody(/** @type {Ids} */ (pool[next++ % pool.length]));
  await runLoad({ url: `${baseUrl}/payments`, connections, amount: warm, body: nextPayment });
  const logStart = options.logFile ? statSync(options.logFile).size : 0;
  const payment = await runLoad({
    url: `${baseUrl}/payments`,
    connections,
    amount: options.payments,
    body: nextPayment,
  });

  const row = (
    /** @type {string} */ name,
    /** @type {import('./lib/load.mjs').LoadResult} */ r,
  ) => [
    name,
    num(r.rps, 1),
    num(r.p50, 0),
    num(r.p99, 0),
    `${num(r.ok)}/${num(r.requests)}`,
    Object.entries(r.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' '),
  ];
  say(
    `${connections} connections; ceiling for ${options.duration} s, payment flow for ${options.payments} payments.\n`,
  );
  say(
    table(
      ['flow', 'req/s (201)', 'p50 ms', 'p99 ms', '201/all', 'statuses'],
      [
        row('ceiling: 3 trivial functions chained over HTTP', ceiling),
        row('payment flow: POST /payments → order, notification', payment),
      ],
    ),
  );
  if (options.logFile) {
    const text = (await readFile(options.logFile)).subarray(logStart).toString('utf8');
    const rows = [...lambdaDurations(text)]
      .sort((a, b) => b[1].length - a[1].length)
      .map(([name, ms]) => [
        name,
        num(ms.length / Math.max(1, payment.ok), 2),
        num(ms.reduce((a, b) => a + b, 0) / ms.length, 1),
        num(percentile(ms, 50), 1),
        num(percentile(ms, 99), 1),
      ]);
    say('\nWhere the payment flow spends its time (serverless-offline reports each invocation):\n');
    say(table(['function', 'invocations per payment', 'mean ms', 'p50 ms', 'p99 ms'], rows));
  }
  const share = ratio(payment.rps, ceiling.rps);
  say(
    `\nPayment flow / ceiling: throughput ${pct(share)} ${verdict(share, TARGETS.throughput, pct)}; ` +
      `p50 ${times(ratio(payment.p50, ceiling.p50))}, p99 ${times(ratio(payment.p99, ceiling.p99))} the ceiling's latency.`,
  );
}

/** @typedef {{ transactionId: string, orderId: string, userId: string }} Ids */

/** @param {string} prefix @returns {Ids} */
function newIds(prefix) {
  const run = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { transactionId: `t-${run}`, orderId: `o-${run}`, userId: `u-${run}` };
}

/** @param {Ids} ids */
const paymentBody = (ids) => ({ ...ids, amount: 12.34, currency: 'USD' });

/** @param {ReturnType<typeof createApi>} call @param {Ids} ids */
async function createOrder(call, ids) {
  const answer = await call('POST', '/orders', {
    body: { orderId: ids.orderId, userId: ids.userId, amount: 12.34, currency: 'USD' },
  });
  if (answer.status >= 300)
    throw new Error(`POST /orders answered ${answer.status}: ${answer.text.slice(0, 200)}`);
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

/** @param {Record<string, any>} options */
async function main(options) {
  const started = Date.now();
  say(`# npm run bench (${new Date().toISOString()}, Node ${process.version})`);
  if (process.env.BASE_URL) {
    say(
      'BASE_URL is ignored: the bench needs its own stack (a counting proxy and the bench functions).',
    );
  }
  await benchBundles(options.rounds, options.bundleStage);
  if (!options.skipLoad) {
    const dynamo = await startDynamoDbLocal();
    const counter = await startDynamoCounter(dynamo.endpoint);
    const stopDb = stopOnSignal(async () => {
      await counter.close();
      await dynamo.stop();
    });
    try {
      const target = await connectOrStart({
        env: { ...process.env, BASE_URL: '' },
        stage: 'test',
        dynamoEndpoint: counter.endpoint,
        startOptions: { config: 'serverless.bench.mjs' },
        say,
      });
      try {
        const call = createApi(target.baseUrl);
        // One payment first, so cold starts are not counted as the flow's requests.
        const warm = newIds('bench-warm');
        const flow = await createOrder(call, warm)
          .then(() => call('POST', '/payments', { body: paymentBody(warm) }))
          .then((paid) =>
            paid.status === 201 ? undefined : `POST /payments answered ${paid.status}`,
          )
          .catch((/** @type {Error} */ error) => error.message);
        if (flow) {
          say(
            `\nThe payment flow does not work on this build (${flow}): only the ceiling is measured.`,
          );
        } else {
          await benchDynamoRequests(call, counter, target.env, options.samples);
        }
        await benchThroughput(call, target.baseUrl, {
          ...options,
          paymentFlow: !flow,
          logFile: target.logFile,
        });
      } finally {
        await target.stop();
      }
    } finally {
      await stopDb();
    }
  }
  say(`\nBench finished in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  return 0;
}

runCli({ name: 'bench', usage: 'usage: npm run bench [-- options]', spec, main });
