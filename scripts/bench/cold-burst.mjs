// @ts-check
import { createApi } from '../lib/common/api.mjs';
import { mapLimit } from '../lib/common/pool.mjs';
import { num, table } from '../lib/common/report.mjs';
import { pct, record, say, TARGETS } from './summary.mjs';
import { createOrder, newIds, paymentBody } from './workload.mjs';

/**
 * Part 4: a cold burst. On the stack just started, before any payment: 20
 * payments and a duplicate of each, at once. Every one must answer 201, or
 * 409 with Retry-After, within the payment function's timeout.
 * @param {ReturnType<typeof createApi>} call
 * @param {string} baseUrl
 * @param {number} timeoutMs the payment function's timeout
 */
export async function benchColdBurst(call, baseUrl, timeoutMs) {
  say('\n## Cold burst: 20 payments and a duplicate of each, at once, on the fresh stack');
  const pool = Array.from({ length: 20 }, (_, i) => newIds(`bench-cold-${i}`));
  await mapLimit(pool, 4, (ids) => createOrder(call, ids));
  const burst = createApi(baseUrl, { timeoutMs: 60_000 });
  const started = Date.now();
  const answers = await Promise.all(
    pool.flatMap((ids) => [0, 1].map(() => burst('POST', '/payments', { body: paymentBody(ids) }))),
  );
  const wallMs = Date.now() - started;
  const good = answers.filter(
    (a) =>
      a.ms < timeoutMs &&
      (a.status === 201 || (a.status === 409 && a.headers.get('retry-after') !== null)) &&
      !/stackTrace|node_modules/.test(a.text),
  );
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const slowest = Math.max(...answers.map((a) => a.ms));
  say(
    table(
      ['answered 201 or 409 + Retry-After in time', 'statuses', 'slowest ms', 'whole burst ms'],
      [[`${good.length}/${answers.length}`, JSON.stringify(statuses), num(slowest), num(wallMs)]],
    ),
  );
  for (const a of answers.filter((x) => !good.includes(x)).slice(0, 3)) {
    say(`  ${a.status} after ${num(a.ms)} ms: ${a.text.slice(0, 160)}`);
  }
  record(
    'cold burst answered 201/409 in time',
    good.length / answers.length,
    `${good.length}/${answers.length}, slowest ${num(slowest)} ms`,
    TARGETS.coldBurstAnswered,
    pct,
  );
}
