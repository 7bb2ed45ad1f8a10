#!/usr/bin/env node
// @ts-check
/**
 * `npm run demo`: the system's promises, told as a story against a running
 * stack (BASE_URL, e.g. `npm start` in another terminal: BASE_URL=http://127.0.0.1:3000)
 * or a private one it starts and stops. An order is paid; the payment is sent
 * again (replayed), with another amount (422) and 20 times at once (one
 * charge); the order service fails and the relay completes the effect later;
 * the gateway's callback is repeated; one request is traced through every
 * service. Exits 1 if any promise was broken.
 */
import { readFile } from 'node:fs/promises';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createApi, gatewaySignature, invokeRelay } from './lib/common/api.mjs';
import { runCli } from './lib/common/cli.mjs';
import { formatTimeline, parseLogLines, timeline } from './lib/ops/trace.mjs';
import { runDemo } from './lib/proofs/demo-steps.mjs';
import { createNarrator } from './lib/proofs/narrator.mjs';
import { documentClient } from './lib/proofs/snapshot.mjs';
import { connectOrStart, isLocalUrl } from './lib/stack/target.mjs';

const spec = /** @type {const} */ ({
  amount: {
    type: 'number',
    default: 125.5,
    env: 'DEMO_AMOUNT',
    min: 0.01,
    describe: 'amount of each payment',
  },
  currency: { type: 'string', default: 'USD', env: 'DEMO_CURRENCY', describe: 'its currency' },
});
const usage = 'usage: npm run demo [-- options]   (BASE_URL=... to use a running stack)';
const say = (/** @type {string} */ line = '') => process.stdout.write(`${line}\n`);

/** @param {Record<string, any>} options */
async function main(options) {
  say(
    '# lambda-payments: nobody is charged twice, no effect is lost, every request can be followed',
  );
  const target = await connectOrStart({ stage: 'test', say });
  const doc = documentClient(target.dynamoEndpoint);
  const call = createApi(target.baseUrl);
  // A local stack's tables need its DynamoDB endpoint (`npm start` prints it); AWS needs none.
  const tablesReachable = Boolean(target.dynamoEndpoint) || !isLocalUrl(target.baseUrl);
  if (!tablesReachable) {
    say(
      'DYNAMODB_ENDPOINT is not set: charges are read through GET /payments instead of the charges table.',
    );
  }
  const narrator = createNarrator(say);
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  try {
    await runDemo({
      call,
      narrator,
      amount: options.amount,
      currency: options.currency,
      ids: (label) => ({
        transactionId: `demo-${label}-${run}-t`,
        orderId: `demo-${label}-${run}-o`,
        userId: `demo-${label}-${run}-u`,
      }),
      chargesFor: async (transactionId) => {
        if (!tablesReachable) {
          // Without the table, the payment service's own view of its charge is the next best witness.
          const view = await call('GET', `/payments/${encodeURIComponent(transactionId)}`);
          return view.body?.charge ? 1 : 0;
        }
        const page = await doc.send(
          new QueryCommand({
            TableName: target.env.CHARGES_TABLE,
            KeyConditionExpression: 'transactionId = :t',
            ExpressionAttributeValues: { ':t': transactionId },
            ConsistentRead: true,
          }),
        );
        return page.Count ?? 0;
      },
      runRelay: target.lambdaUrl
        ? () => invokeRelay(/** @type {string} */ (target.lambdaUrl), target.stage)
        : undefined,
      signCallback: (rawBody) =>
        gatewaySignature(
          rawBody,
          target.env.GATEWAY_WEBHOOK_SECRET ||
            process.env.GATEWAY_WEBHOOK_SECRET ||
            'local-dev-webhook-secret',
        ),
      traceOf: async (correlationId) => {
        if (!target.logFile)
          return [
            '(no log file for this stack: in AWS, use the CloudWatch Logs Insights query in docs/operations.md)',
          ];
        // serverless-offline writes the log lines a moment after answering: wait for them, bounded.
        const deadline = Date.now() + 10_000;
        let entries = [];
        do {
          const text = await readFile(target.logFile, 'utf8').catch(() => '');
          entries = timeline(parseLogLines(text), correlationId);
          if (new Set(entries.map((e) => e.service)).size >= 3) break;
          await new Promise((r) => setTimeout(r, 250));
        } while (Date.now() < deadline);
        return formatTimeline(entries).split('\n');
      },
    });
  } finally {
    doc.destroy();
    await target.stop();
  }
  say(`\n${narrator.summary()}`);
  return narrator.broken().length === 0 ? 0 : 1;
}

runCli({ name: 'demo', usage, spec, main });
