// @ts-check
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { mapLimit } from '../lib/common/pool.mjs';
import { num, percentile, ratio, table, times, verdict } from '../lib/common/report.mjs';
import { cpuPer, cpuSnapshot, throughputBound } from '../lib/measure/cpu.mjs';
import { lambdaDurations, runLoad } from '../lib/measure/load.mjs';
import { pct, record, say, TARGETS } from './summary.mjs';
import { createOrder, newIds, paymentBody } from './workload.mjs';

/** Part 1: the payment flow against the ceiling chain. */
export async function benchThroughput(
  /** @type {ReturnType<typeof import('../lib/common/api.mjs').createApi>} */ call,
  /** @type {string} */ baseUrl,
  /** @type {{ connections: number, duration: number, payments: number, paymentFlow: boolean, logFile?: string, pids: Record<string, number | undefined> }} */ options,
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
  const ceilingCpuStart = cpuSnapshot(options.pids);
  const ceiling = await runLoad({
    url: `${baseUrl}/__bench/chain`,
    connections,
    durationSeconds: options.duration,
    body: () => ({}),
  });
  const ceilingCpu = cpuPer(ceilingCpuStart, cpuSnapshot(options.pids), ceiling.requests);

  if (!options.paymentFlow) {
    say(
      table(
        ['flow', 'req/s (201)', 'p50 ms', 'p99 ms', 'statuses'],
        [
          [
            'ceiling: 3 trivial functions chained (Lambda Invoke API)',
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
  const nextPayment = () =>
    paymentBody(/** @type {import('./workload.mjs').Ids} */ (pool[next++ % pool.length]));
  await runLoad({ url: `${baseUrl}/payments`, connections, amount: warm, body: nextPayment });
  const logStart = options.logFile ? statSync(options.logFile).size : 0;
  const paymentCpuStart = cpuSnapshot(options.pids);
  const payment = await runLoad({
    url: `${baseUrl}/payments`,
    connections,
    amount: options.payments,
    body: nextPayment,
  });
  const paymentCpu = cpuPer(paymentCpuStart, cpuSnapshot(options.pids), payment.requests);

  const row = (
    /** @type {string} */ name,
    /** @type {import('../lib/measure/load.mjs').LoadResult} */ r,
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
        row('ceiling: 3 trivial functions chained (Lambda Invoke API)', ceiling),
        row('payment flow: POST /payments → order, notification', payment),
      ],
    ),
  );
  /** Invocations per payment, from serverless-offline's log (undefined without one). */
  let invocationsPerPayment;
  if (options.logFile) {
    const text = (await readFile(options.logFile)).subarray(logStart).toString('utf8');
    const durations = [...lambdaDurations(text)];
    invocationsPerPayment =
      durations.reduce((n, [, ms]) => n + ms.length, 0) / Math.max(1, payment.requests);
    const rows = durations
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
    // What each payment writes to the log: the functions' JSON lines (log
    // lines and metrics) and serverless-offline's own lines.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const json = lines.filter((l) => l.trimStart().startsWith('{'));
    const metricLines = json.filter((l) => l.includes('"_aws"')).length;
    say(
      `\nLog lines per payment: ${num((json.length - metricLines) / Math.max(1, payment.ok), 1)} JSON log lines, ` +
        `${num(metricLines / Math.max(1, payment.ok), 1)} metric (EMF) lines, ` +
        `${num((lines.length - json.length) / Math.max(1, payment.ok), 1)} serverless-offline lines.`,
    );
  }
  sayCpu(ceilingCpu, paymentCpu, invocationsPerPayment);
  const share = ratio(payment.rps, ceiling.rps);
  const p50 = ratio(payment.p50, ceiling.p50);
  record(
    'payment flow throughput vs ceiling',
    share,
    `${num(payment.rps, 1)} vs ${num(ceiling.rps, 1)} req/s`,
    TARGETS.throughput,
    pct,
  );
  record(
    'payment flow p50 vs ceiling',
    p50,
    `${num(payment.p50)} vs ${num(ceiling.p50)} ms`,
    TARGETS.p50Ratio,
    (n) => `${n}×`,
  );
  say(
    `\nPayment flow / ceiling: throughput ${pct(share)} ${verdict(share, TARGETS.throughput, pct)}; ` +
      `p50 ${times(ratio(payment.p50, ceiling.p50))}, p99 ${times(ratio(payment.p99, ceiling.p99))} the ceiling's latency.`,
  );
  return { paymentRps: payment.rps };
}

/**
 * Where the CPU of each run went, by process, and what that leaves the
 * payment flow at best: the stack's processes share this machine's cores.
 * @param {Record<string, number | undefined>} ceiling CPU ms per chain
 * @param {Record<string, number | undefined>} payment CPU ms per payment
 * @param {number | undefined} invocationsPerPayment
 */
function sayCpu(ceiling, payment, invocationsPerPayment) {
  const ms = (/** @type {number | undefined} */ n) =>
    n === undefined ? 'not measured' : num(n, 1);
  const total = (/** @type {Record<string, number | undefined>} */ m) =>
    Object.values(m).some((n) => n === undefined)
      ? undefined
      : Object.values(m).reduce((a, b) => (a ?? 0) + (b ?? 0), 0);
  say('\nCPU per request by process (user + system, from /proc):\n');
  say(
    table(
      [
        'run',
        'serverless-offline (its function workers included)',
        'DynamoDB Local',
        'load client (this process)',
        'total',
      ],
      [
        [
          'ceiling, ms per chain',
          ms(ceiling.offline),
          ms(ceiling.dynamodb),
          ms(ceiling.client),
          ms(total(ceiling)),
        ],
        [
          'payment flow, ms per payment',
          ms(payment.offline),
          ms(payment.dynamodb),
          ms(payment.client),
          ms(total(payment)),
        ],
      ],
    ),
  );
  if (invocationsPerPayment === undefined) return;
  // The ceiling runs 3 functions per chain: front, second, third.
  const bound = throughputBound({
    ceiling,
    payment,
    ceilingInvocations: 3,
    paymentInvocations: invocationsPerPayment,
  });
  if (!bound) return;
  say(
    `\nA floor on this machine: were the functions' own code free, a payment would still cost ` +
      `${num(bound.floorMs, 1)} ms of CPU (DynamoDB Local ${ms(payment.dynamodb)}, this process ${ms(payment.client)}, ` +
      `serverless-offline invoking ${num(invocationsPerPayment, 2)} functions at the ceiling's ${num((ceiling.offline ?? 0) / 3, 1)} ms each: ${num(bound.offlineMs, 1)}), ` +
      `against ${ms(total(ceiling))} per chain: at most ${pct(bound.share)} of the ceiling's throughput.`,
  );
}
