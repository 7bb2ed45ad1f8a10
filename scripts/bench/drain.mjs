// @ts-check
import { createApi, invokeRelay } from '../lib/common/api.mjs';
import { mapLimit } from '../lib/common/pool.mjs';
import { num, ratio, table } from '../lib/common/report.mjs';
import { record, say, TARGETS } from './summary.mjs';
import { createOrder, newIds, paymentBody } from './workload.mjs';

/**
 * Part 7: a backlog drains (issue 24). `backlog` payments are made while
 * their deliveries fail (x-fault-inject: the order and notification calls
 * answer 503, so each payment leaves its two events PENDING), then the relay
 * is invoked, one run after the other as one scheduled slice would be, until
 * every one of those events is delivered. Its events per second, from its
 * first invocation to the last delivery, against the events per second the
 * fast path made in the throughput run on the same stack (2 per payment).
 * @param {ReturnType<typeof createApi>} call
 * @param {{ baseUrl: string, lambdaUrl?: string }} target
 * @param {{ backlog: number, connections: number, paymentRps: number }} options
 */
export async function benchDrain(call, target, options) {
  say('\n## A backlog drains (the relay, after the deliveries of many payments failed)');
  if (!target.lambdaUrl) {
    say('No Lambda invoke URL on this stack: the drain is not measured.');
    return;
  }
  const pool = Array.from({ length: options.backlog }, (_, i) => newIds(`bench-backlog-${i}`));
  await mapLimit(pool, options.connections, (ids) => createOrder(call, ids));
  const faults = 'order=status:503,notification=status:503';
  let failedPayments = 0;
  await mapLimit(pool, options.connections, async (ids) => {
    const paid = await call('POST', '/payments', {
      body: paymentBody(ids),
      headers: { 'x-fault-inject': faults },
    });
    if (paid.status !== 201) failedPayments += 1;
  });
  const expected = 2 * (options.backlog - failedPayments);
  let delivered = 0;
  let dead = 0;
  let runs = 0;
  let idle = 0;
  const started = performance.now();
  let finished = started;
  // Events the fast path just failed wait out their first backoff (up to 1 s):
  // runs that find nothing due yet are counted in the time, not skipped.
  while (delivered < expected && idle < 40) {
    const report = await invokeRelay(target.lambdaUrl, 'test');
    runs += 1;
    delivered += Number(report?.delivered ?? 0);
    dead += Number(report?.dead ?? 0);
    idle = Number(report?.claimed ?? 0) === 0 ? idle + 1 : 0;
    if (Number(report?.delivered ?? 0) > 0) finished = performance.now();
    if (idle > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = Math.max(0.001, (finished - started) / 1000);
  const drainRate = delivered / seconds;
  const fastRate = 2 * options.paymentRps;
  say(
    table(
      ['run', 'events', 'seconds', 'events/s'],
      [
        [
          `fast path: ${num(options.paymentRps, 1)} payments/s in the throughput run, 2 events each`,
          '',
          '',
          num(fastRate, 1),
        ],
        [
          `relay: ${num(expected)} events of ${num(options.backlog)} payments (${failedPayments} not 201), in ${runs} run(s), ${dead} DEAD`,
          num(delivered),
          num(seconds, 1),
          num(drainRate, 1),
        ],
      ],
    ),
  );
  if (delivered < expected) say(`Only ${delivered} of ${expected} events were delivered.`);
  record(
    'Backlog drain vs the fast path (events per second)',
    delivered < expected || dead > 0 ? 0 : ratio(drainRate, fastRate),
    `${num(drainRate, 1)} vs ${num(fastRate, 1)} events/s`,
    TARGETS.drainRatio,
    (n) => `${num(n, 2)}×`,
  );
}
