#!/usr/bin/env node
// @ts-check
/**
 * `npm start`: the whole system on this machine. DynamoDB Local (fetched on
 * first use) or DYNAMODB_ENDPOINT, every table of serverless.yml, the three
 * services under serverless-offline, and the outbox relay on a timer through
 * the Lambda invoke API. Ctrl-C stops everything it started.
 *
 * Environment: HTTP_PORT (3000), LAMBDA_PORT (3002), STAGE (local),
 * DYNAMODB_ENDPOINT (unset: start DynamoDB Local), DYNAMODB_PORT (free port),
 * RELAY_INTERVAL_MS (10000; 0 disables), LOG_FILE (.logs/local.log),
 * DYNAMODB_PERSIST (`true`: as `--persist`), DYNAMODB_DATA_DIR (.dynamodb).
 *
 * `npm start -- --persist` keeps DynamoDB Local's data on disk in the
 * git-ignored .dynamodb/ folder: a restart, or a crash, keeps every order,
 * payment and outbox event. The tables are created once and then checked.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevKeys } from './lib/stack/keys.mjs';
import { assertPortFree } from './lib/stack/process.mjs';
import { startStack } from './lib/stack/stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const httpPort = Number(process.env.HTTP_PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? 3002);
const stage = process.env.STAGE ?? 'local';
const relayIntervalMs = Number(process.env.RELAY_INTERVAL_MS ?? 10_000);
const logFile = process.env.LOG_FILE ?? path.join(root, '.logs', 'local.log');
const persist = process.argv.includes('--persist') || process.env.DYNAMODB_PERSIST === 'true';
const dataDir = process.env.DYNAMODB_DATA_DIR ?? path.join(root, '.dynamodb');
const unknownArgs = process.argv.slice(2).filter((a) => a !== '--persist');

async function main() {
  if (unknownArgs.length > 0) {
    throw new Error(`unknown option ${unknownArgs.join(' ')} (usage: npm start [-- --persist])`);
  }
  const started = Date.now();
  await assertPortFree(httpPort, 'HTTP API');
  await assertPortFree(lambdaPort, 'Lambda invoke API');
  mkdirSync(path.dirname(logFile), { recursive: true });
  // Service-to-service JWT keys: generated into the git-ignored .keys/ on first run.
  const keysDir = path.join(root, '.keys');
  const keyEnv = await ensureDevKeys(keysDir);
  console.log(`Starting the ${stage} stack...`);
  const stack = await startStack({
    stage,
    httpPort,
    lambdaPort,
    endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    dynamoPort: process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : undefined,
    dbPath: persist ? dataDir : undefined,
    logFile,
    echo: true,
    env: keyEnv,
  });

  /** @type {NodeJS.Timeout | undefined} */
  let relayTimer;
  if (relayIntervalMs > 0) {
    const relayUrl = `${stack.offline.lambdaUrl}/2015-03-31/functions/lambda-payments-${stage}-paymentRelay/invocations`;
    relayTimer = setInterval(() => {
      fetch(relayUrl, { method: 'POST', body: '{}', signal: AbortSignal.timeout(relayIntervalMs) })
        .then((r) => r.body?.cancel())
        .catch((error) => console.error(`relay invocation failed: ${error.message}`));
    }, relayIntervalMs);
  }

  // Before "Ready" is printed: a Ctrl-C right after it (or a script that
  // waits for it) must stop the stack, not kill this process alone.
  let stopping = false;
  const shutdown = async (/** @type {string} */ signal) => {
    if (stopping) return;
    stopping = true;
    clearInterval(relayTimer);
    console.log(`\n${signal}: stopping serverless-offline and DynamoDB Local...`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const base = stack.offline.baseUrl;
  const s = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;
  const t = stack.timings;
  console.log(`
Ready in ${s(Date.now() - started)}.
  Side by side       ${stack.db.pid ? `DynamoDB Local ${s(t.dynamodbLocalMs)}, ` : ''}serverless.yml resolved ${s(t.configMs)}, tables ${s(t.tablesMs)}; serverless-offline (bundling included) ${s(t.offlineMs)}
  HTTP API           ${base}
    order            POST ${base}/orders   GET ${base}/orders/{orderId}[/history]
    payment          POST ${base}/payments GET ${base}/payments/{transactionId}
    notification     GET  ${base}/notifications?userId=...
  Lambda invoke API  ${stack.offline.lambdaUrl}
  DynamoDB           ${stack.db.endpoint}${stack.db.pid ? ` (DynamoDB Local, pid ${stack.db.pid}, ${stack.db.dbPath ? `on disk in ${path.relative(process.cwd(), stack.db.dbPath) || '.'}/` : 'in memory; --persist keeps it on disk'})` : ''}
  Service keys       ${path.relative(process.cwd(), keysDir)}/ (dev ES256 pairs)
  Outbox relay       ${relayIntervalMs > 0 ? `every ${relayIntervalMs / 1000} s` : 'off'}
  Logs               ${path.relative(process.cwd(), logFile)}
Press Ctrl-C to stop.
`);

  stack.offline.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`serverless-offline exited (${code}); stopping.`);
    void stack.db.stop().then(() => process.exit(1));
  });
}

main().catch((error) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
