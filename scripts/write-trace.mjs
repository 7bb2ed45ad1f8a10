// @ts-check
/**
 * `npm run write-trace`: one order created and paid on a stack behind the
 * write-unit meter, every item write printed in order with what it cost
 * (base table and indexes), to see where a payment's write units go; and
 * the JSON log lines the functions wrote for it, with their sizes.
 */
import { readFile, stat } from 'node:fs/promises';
import { createApi } from './lib/common/api.mjs';
import { startDynamoCounter } from './lib/measure/dynamo-counter.mjs';
import { schemasOf } from './lib/measure/write-units.mjs';
import { startDynamoDbLocal } from './lib/stack/dynamodb-local.mjs';
import { resolvedServerlessConfig, tableDefinitions } from './lib/stack/tables.mjs';
import { connectOrStart, stopOnSignal } from './lib/stack/target.mjs';

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
      counter.reset();
      const logStart = target.logFile ? (await stat(target.logFile)).size : 0;
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
      const reads = counter.readUnits();
      say(
        `${reads.units} read units: ${
          Object.entries({ ...reads.byTable, ...reads.byIndex })
            .map(([where, units]) => `${where.replace(/^.*?-test-/, '')} ${units}`)
            .join(', ') || 'none'
        }`,
      );
      if (target.logFile) {
        // The JSON lines the functions logged for this order and payment: what CloudWatch Logs would bill.
        const logged = (await readFile(target.logFile))
          .subarray(logStart)
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trimStart().startsWith('{'));
        const bytes = logged.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        say(`\n${logged.length} JSON log lines, ${bytes} bytes:`);
        const longest = logged.reduce((a, b) => (b.length > a.length ? b : a), '');
        say(`the longest, whole:\n${longest}\n`);
        for (const line of logged) {
          const parsed = JSON.parse(line);
          say(
            `${String(Buffer.byteLength(line)).padStart(5)}  ${parsed.level ?? (parsed._aws ? 'EMF' : '')} ${parsed.service ?? ''} ${parsed.action ?? parsed.message ?? ''} ${parsed.outcome ?? ''}`,
          );
        }
      }
    }
  } finally {
    await target.stop();
  }
} finally {
  await stop();
}
