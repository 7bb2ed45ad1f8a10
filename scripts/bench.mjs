#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: one run on a private local stack, printing side by side
 * and as ratios:
 *
 * 1. throughput and p50/p99 latency of the payment flow (POST /payments,
 *    which calls order and notification) against a trivial chain of three
 *    functions calling each other the same way on the same serverless-offline
 *    (the ceiling of the local stack; functions/bench/chain.ts), on a stack
 *    of its own straight on DynamoDB Local, with the CPU each process spent
 *    per request and the floor that sets on the flow's share;
 * 2. DynamoDB requests per first payment, across every service, and per
 *    replay, counted by a proxy in front of DynamoDB Local;
 * 3. each function's bundle size and import+init time in a fresh Node
 *    process, against a bundle that only builds a DynamoDB document client
 *    and a Powertools Logger, both as deployed (stage dev's esbuild options,
 *    the template's environment with its NODE_OPTIONS, the variables the
 *    Lambda runtime sets), and once more without source maps;
 * 4. a cold burst: on the freshly started stack, before any payment, 20
 *    payments and a duplicate of each at once;
 * 5. how long `npm start` takes to be ready (DynamoDB Local cached);
 * 6. write units per payment as DynamoDB bills them, by table and index,
 *    and the busiest index key the payments share;
 * 7. a backlog drain: the relay's events per second after many payments'
 *    deliveries failed, against the fast path's on the same stack;
 *
 * and ends with every figure side by side with its target and the ratio.
 *
 * A benchmark prints figures; it does not fail on a slow machine. It exits
 * non-zero only when it could not measure (the stack did not start...).
 *
 * Each benchmark is a module of scripts/bench/ (scripts/README.md lists them).
 * This file reads the options, starts the stacks they share and runs them,
 * printed in this order: bundles, npm start, cold burst, DynamoDB requests,
 * write units, throughput, backlog drain; then the summary.
 */
import { benchBundles } from './bench/bundles.mjs';
import { benchColdBurst } from './bench/cold-burst.mjs';
import { benchDrain } from './bench/drain.mjs';
import { benchDynamoRequests } from './bench/dynamo-requests.mjs';
import { benchStartup } from './bench/startup.mjs';
import { loadAverage, printSummary, say } from './bench/summary.mjs';
import { benchThroughput } from './bench/throughput.mjs';
import { createOrder, DELIVERED_PREFIX, newIds, paymentBody } from './bench/workload.mjs';
import { benchWriteUnits } from './bench/write-units.mjs';
import { createApi } from './lib/common/api.mjs';
import { runCli } from './lib/common/cli.mjs';
import { startDynamoCounter } from './lib/measure/dynamo-counter.mjs';
import { schemasOf } from './lib/measure/write-units.mjs';
import { startDynamoDbLocal } from './lib/stack/dynamodb-local.mjs';
import { resolvedServerlessConfig, tableDefinitions } from './lib/stack/tables.mjs';
import { connectOrStart, stopOnSignal } from './lib/stack/target.mjs';

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
    default: 21,
    env: 'BENCH_ROUNDS',
    min: 1,
    max: 50,
    describe: 'fresh Node processes per bundle (lower quartile taken)',
  },
  bundleStage: {
    type: 'string',
    default: 'dev',
    env: 'BENCH_BUNDLE_STAGE',
    describe: 'stage whose esbuild settings build the bundles (what `sls deploy` ships)',
  },
  backlog: {
    type: 'integer',
    default: 300,
    env: 'BENCH_BACKLOG',
    min: 10,
    max: 10_000,
    describe: 'payments whose deliveries fail, for the drain run',
  },
  skipLoad: { type: 'boolean', default: false, describe: 'only bundles (no stack, no load)' },
  skipStart: { type: 'boolean', default: false, describe: 'do not time `npm start`' },
});

/**
 * A private test stack with the bench functions (serverless.bench.mjs) on
 * `dynamoEndpoint`, stopped by its `stop()` or on Ctrl-C.
 * @param {string} dynamoEndpoint
 */
function benchStack(dynamoEndpoint) {
  return connectOrStart({
    env: { ...process.env, BASE_URL: '' },
    stage: 'test',
    dynamoEndpoint,
    startOptions: { config: 'serverless.bench.mjs' },
    say,
  });
}

/** @param {{ [K in keyof typeof spec]: any } & { help: boolean }} options */
async function main(options) {
  const started = Date.now();
  say(`# npm run bench (${new Date().toISOString()}, Node ${process.version})`);
  if (process.env.BASE_URL) {
    say(
      'BASE_URL is ignored: the bench needs its own stack (a counting proxy and the bench functions).',
    );
  }
  say(`Load on this machine at the start: ${loadAverage()}.`);
  await benchBundles(options.rounds, options.bundleStage);
  if (!options.skipLoad && !options.skipStart) await benchStartup();
  if (!options.skipLoad) {
    const testConfig = await resolvedServerlessConfig('test');
    const paymentTimeoutMs =
      1000 * (testConfig.functions?.paymentCreate?.timeout ?? testConfig.provider?.timeout ?? 15);
    const dynamo = await startDynamoDbLocal();
    const counter = await startDynamoCounter(dynamo.endpoint, {
      schemas: schemasOf(await tableDefinitions('test', testConfig)),
      label: (table, key) => {
        if (table === testConfig.provider?.environment?.GATEWAY_LEDGER_TABLE)
          return 'simulator: gateway ledger';
        const pk = key?.pk?.S;
        return typeof pk === 'string' && pk.startsWith(DELIVERED_PREFIX)
          ? 'simulator: notification channel'
          : table;
      },
    });
    const stopDb = stopOnSignal(async () => {
      await counter.close();
      await dynamo.stop();
    });
    /** @type {string | undefined} */
    let flow;
    try {
      const target = await benchStack(counter.endpoint);
      try {
        const call = createApi(target.baseUrl);
        // First, while every payment function is still cold.
        await benchColdBurst(call, target.baseUrl, paymentTimeoutMs);
        // One payment first, so cold starts are not counted as the flow's requests.
        const warm = newIds('bench-warm');
        flow = await createOrder(call, warm)
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
          await benchWriteUnits(call, counter, options.samples);
        }
      } finally {
        await target.stop();
      }
      // Throughput on a stack of its own, straight on DynamoDB Local: the
      // counting proxy (in this process) would cost the flow ~0.4 ms of CPU
      // per DynamoDB request on the same cores, and the ceiling nothing.
      const direct = await benchStack(dynamo.endpoint);
      try {
        const throughput = await benchThroughput(createApi(direct.baseUrl), direct.baseUrl, {
          ...options,
          paymentFlow: !flow,
          logFile: direct.logFile,
          pids: { offline: direct.pids?.offline, dynamodb: dynamo.pid },
        });
        if (throughput) {
          await benchDrain(createApi(direct.baseUrl), direct, {
            backlog: options.backlog,
            connections: options.connections,
            paymentRps: throughput.paymentRps,
          });
        }
      } finally {
        await direct.stop();
      }
    } finally {
      await stopDb();
    }
  }
  printSummary();
  say(`\nLoad on this machine at the end: ${loadAverage()}.`);
  say(`Bench finished in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  return 0;
}

runCli({ name: 'bench', usage: 'usage: npm run bench [-- options]', spec, main });
