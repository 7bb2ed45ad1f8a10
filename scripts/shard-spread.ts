/**
 * How evenly the sharded index keys of 100,000 payments spread over each
 * index's shards: the write units per payment the busiest and the quietest
 * shard take (docs/performance.md, "No hot partition"). Arithmetic on the
 * real key functions, no DynamoDB: `npx tsx scripts/shard-spread.ts`.
 */
import { randomUUID } from 'node:crypto';
import { OUTBOX_DUE_SHARDS, STATUS_SHARDS, UNFINALIZED_SHARDS } from '../lib/payment/indexes.js';
import { eventIdFor } from '../lib/payment/outbox/events.js';
import { shardOf } from '../lib/shared/shards.js';

const PAYMENTS = 100_000;

function spread(name: string, count: number, ids: string[], writesPerId: number): void {
  const units = new Array<number>(count).fill(0);
  for (const id of ids) {
    const shard = shardOf(id, count);
    units[shard] = (units[shard] ?? 0) + writesPerId;
  }
  const perPayment = units.map((u) => u / PAYMENTS);
  const busiest = Math.max(...perPayment);
  console.log(
    `${name}: ${count} shards; write units per payment: busiest shard ${busiest.toFixed(4)}, ` +
      `quietest ${Math.min(...perPayment).toFixed(4)}, even share ${(perPayment.reduce((a, b) => a + b) / count).toFixed(4)}; ` +
      `ceiling at 1,000 WCU/s: ${Math.floor(1000 / busiest).toLocaleString('en')} payments/s`,
  );
}

for (const [label, makeId] of [
  ['random UUIDs', () => randomUUID()],
  ['t-0 … t-99999', (i: number) => `t-${i}`],
] as const) {
  const payments = Array.from({ length: PAYMENTS }, (_, i) => makeId(i));
  const events = payments.flatMap((t) => [
    eventIdFor(t, 'order.status'),
    eventIdFor(t, 'notification.send'),
  ]);
  console.log(`transactionIds: ${label}`);
  // Each event its request could not deliver (all of them, in an outage): put PENDING, removed when delivered.
  spread('  outbox-due PENDING#NN (an outage)', OUTBOX_DUE_SHARDS, events, 2);
  // Each payment: put once, final.
  spread('  payments-by-status-shard SUCCEEDED#NN', STATUS_SHARDS, payments, 1);
  // Each charge: put with the guard, removed once its events are delivered or in the outbox.
  spread('  charges-unfinalized Y#NN', UNFINALIZED_SHARDS, payments, 2);
}
