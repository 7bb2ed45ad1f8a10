// @ts-check
import { createApi } from '../lib/common/api.mjs';
import { num, table } from '../lib/common/report.mjs';
import { startDynamoCounter } from '../lib/measure/dynamo-counter.mjs';
import { SHARD_COUNTS } from '../lib/measure/shard-counts.mjs';
import { busiestSharedKey } from '../lib/measure/write-units.mjs';
import { record, say, TARGETS } from './summary.mjs';
import { createOrder, newIds, paymentBody } from './workload.mjs';

/**
 * Part 6: write units as DynamoDB bills them (scripts/lib/measure/write-units.mjs),
 * of an order's creation, its payment and every effect the payment causes
 * (the fast path delivers both events before the answer), by table and
 * index, and the busiest index key that the payments share.
 * @param {ReturnType<typeof createApi>} call
 * @param {Awaited<ReturnType<typeof startDynamoCounter>>} counter
 * @param {number} samples
 */
export async function benchWriteUnits(call, counter, samples) {
  say(
    '\n## Write and read units per payment (metered by the proxy: the item before and after each write; each read as DynamoDB reports it)',
  );
  /** Write and read units by `table <name>` / `index <table>/<name>`, summed over the payments. @type {Record<string, number>} */
  const writesBy = {};
  /** @type {Record<string, number>} */
  const readsBy = {};
  /** @type {Record<string, number>} */
  const byKey = {};
  /** Adds one payment's units, by table and by index, into `into`. */
  const add = (
    /** @type {Record<string, number>} */ into,
    /** @type {{ byTable: Record<string, number>, byIndex: Record<string, number> }} */ units,
  ) => {
    for (const [k, v] of Object.entries(units.byTable))
      into[`table ${k}`] = (into[`table ${k}`] ?? 0) + v;
    for (const [k, v] of Object.entries(units.byIndex))
      into[`index ${k}`] = (into[`index ${k}`] ?? 0) + v;
  };
  const n = Math.max(samples, 20);
  for (let i = 0; i < n; i++) {
    const ids = newIds(`bench-wcu-${i}`);
    counter.reset();
    await createOrder(call, ids);
    const paid = await call('POST', '/payments', { body: paymentBody(ids) });
    if (paid.status !== 201) say(`  payment ${ids.transactionId}: ${paid.status}`);
    const units = counter.writeUnits();
    add(writesBy, units);
    for (const [k, v] of Object.entries(units.byKey)) byKey[k] = (byKey[k] ?? 0) + v;
    add(readsBy, counter.readUnits());
  }
  const ours = (/** @type {string} */ name) => !name.startsWith('simulator:');
  const per = (/** @type {number} */ v) => v / n;
  /** Prints one kind of units by table and index, and records our total against its target. */
  const report = (
    /** @type {string} */ kind,
    /** @type {Record<string, number>} */ by,
    /** @type {{ atLeast?: number, atMost?: number }} */ target,
  ) => {
    const rows = Object.entries(by)
      .map(([k, v]) => [k, num(per(v), 2)])
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    say(table(['where', `${kind} units per payment`], rows.length ? rows : [['none', '0']]));
    const total = Object.entries(by)
      .filter(([k]) => ours(k.replace(/^(table|index) /, '')))
      .reduce((a, [, v]) => a + v, 0);
    record(
      `${kind[0]?.toUpperCase()}${kind.slice(1)} units per payment (order, payment and effects; our tables and indexes)`,
      per(total),
      num(per(total), 1),
      target,
      (v) => num(v, 0),
    );
  };
  report('write', writesBy, TARGETS.writeUnitsPerPayment);
  say('');
  // Read units as DynamoDB Local reports them (ReturnConsumedCapacity): issue 24 allows 0-2.
  report('read', readsBy, TARGETS.readUnitsPerPayment);
  // The busiest index key the payments share, at scale (a sharded value's units spread over its shards).
  const ourKeys = Object.fromEntries(Object.entries(byKey).filter(([k]) => ours(k)));
  const hot = busiestSharedKey(ourKeys, n, SHARD_COUNTS) ?? {
    key: 'none',
    perPayment: 0,
    shards: 1,
  };
  record(
    `Busiest shared index key, write units per payment (${hot.key}, ${hot.shards} shard(s))`,
    hot.perPayment,
    num(hot.perPayment, 4),
    TARGETS.hottestKeyUnitsPerPayment,
    (v) => num(v, 1),
  );
  say(
    `The busiest index key takes ${num(hot.perPayment, 4)} write units per payment: at ~1,000 WCU/s ` +
      `per partition, ${num(1000 / Math.max(hot.perPayment, 1e-9))} payments/s before it throttles.`,
  );
}
