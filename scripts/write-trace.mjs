// @ts-check
/**
 * `npm run write-trace`: one order created and paid on a stack behind the
 * write-unit meter, every item write printed in order with what it cost
 * (base table and indexes), to see where a payment's write units go.
 */
import { createApi } from './lib/api.mjs';
import { startDynamoCounter } from './lib/dynamo-counter.mjs';
import { startDynamoDbLocal } from './lib/dynamodb-local.mjs';
import { resolvedServerlessConfig, tableDefinitions } from './lib/tables.mjs';
import { connectOrStart, stopOnSignal } from './lib/target.mjs';
import { schemasOf } from './lib/write-units.mjs';

const say = (/** @type {string} */ line) => process.stdout.write(`${line}\n`);
const config = await resolvedServerlessConfig('test');
const dynamo = await startDynamoDbLocal();
/** @type {string[]} */
const lines = [];
let total = 0;
const counter = await startDynamoCounter(dynamo.endpoint, {
  schemas: schemasOf(await tableDefinitions('test', config)),
  onWrite: (w) => {
    total += w.units;
    const key = Object.values(w.key ?? {})
      .map((v) => Object.values(v)[0])
      .join(' / ');
    lines.push(
      `${String(w.units).padStart(3)}  ${w.operation}${w.transactional ? '' : ''} ${w.table.replace(/^.*?-test-/, '')} ${key}${w.refused ? ' (refused)' : ''}`,
    );
  },
});
const stop = stopOnSignal(async () => {
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
    for (const round of [1, 2]) {
      lines.length = 0;
      total = 0;
      const id = `trace-${round}-${Date.now()}`;
      const userId = `user-${id}`;
      const orderId = `order-${id}`;
      const created = await call('POST', '/orders', {
        body: { orderId, userId, amount: 12.34, currency: 'USD' },
      });
      say(`POST /orders ${created.status}`);
      const paid = await call('POST', '/payments', {
        body: { transactionId: `txn-${id}`, orderId, userId, amount: 12.34, currency: 'USD' },
      });
      say(`POST /payments ${paid.status}`);
      say(`\n## round ${round}: ${total} write units\n${lines.join('\n')}`);
    }
  } finally {
    await target.stop();
  }
} finally {
  await stop();
}
