// @ts-check
/**
 * The whole local stack in one call: DynamoDB Local (or DYNAMODB_ENDPOINT),
 * every table of serverless.yml, and serverless-offline. Used by `npm start`
 * and by the end-to-end tests.
 */
import { startDynamoDbLocal } from './dynamodb-local.mjs';
import { startOffline } from './offline.mjs';
import { freePort } from './process.mjs';
import { createTables, resolvedServerlessConfig } from './tables.mjs';

/**
 * Starts DynamoDB Local unless `endpoint` is given (on disk in `dbPath` when
 * given, else in memory), and creates the tables (keeping existing ones).
 * @param {{ stage: string, endpoint?: string, port?: number, dbPath?: string }} options
 */
export async function startDatabase(options) {
  const external = options.endpoint;
  // serverless.yml resolved (`sls print`) while Java starts, not after.
  const resolved = resolvedServerlessConfig(options.stage);
  resolved.catch(() => undefined); // awaited below; not unhandled if Java fails first
  const local = external
    ? undefined
    : await startDynamoDbLocal({ port: options.port, dbPath: options.dbPath });
  const endpoint = external ?? /** @type {NonNullable<typeof local>} */ (local).endpoint;
  try {
    const tables = await createTables(endpoint, options.stage, await resolved);
    return {
      endpoint,
      tables,
      pid: local?.pid,
      dbPath: local?.dbPath,
      stop: async () => local?.stop(),
    };
  } catch (error) {
    await local?.stop();
    throw error;
  }
}

/**
 * The environment serverless.yml gives every function, resolved for `stage`
 * and pointed at `endpoint`: what integration tests run their code with.
 * @param {string} stage
 * @param {string} endpoint
 * @returns {Promise<Record<string, string>>}
 */
export async function functionEnvironment(stage, endpoint) {
  const config = await resolvedServerlessConfig(stage, {
    ...process.env,
    DYNAMODB_ENDPOINT: endpoint,
  });
  // The provider's variables, and the webhook secret that only paymentCallback
  // gets (tests and scripts sign the gateway's callbacks with it).
  const callback = config.functions?.paymentCallback?.environment ?? {};
  return Object.fromEntries(
    Object.entries({
      ...config.provider?.environment,
      GATEWAY_WEBHOOK_SECRET: callback.GATEWAY_WEBHOOK_SECRET,
    }).filter(([, v]) => typeof v === 'string'),
  );
}

/**
 * Starts the database and serverless-offline.
 * @param {{ stage: string, httpPort: number, lambdaPort: number, endpoint?: string,
 *           dynamoPort?: number, dbPath?: string, env?: NodeJS.ProcessEnv, logFile?: string,
 *           echo?: boolean, config?: string, timeoutMs?: number }} options `timeoutMs`: how long
 *           offline may take to be ready (it bundles every function first)
 */
export async function startStack(options) {
  // The database and serverless-offline start side by side (offline only
  // needs the database's address, and runs no function before a request):
  // one after the other, `npm start` took 17-24 s on 2 cores.
  const dynamoPort = options.endpoint ? undefined : (options.dynamoPort ?? (await freePort()));
  const dynamoEndpoint = options.endpoint ?? `http://127.0.0.1:${dynamoPort}`;
  const [db, offline] = await Promise.allSettled([
    startDatabase({
      stage: options.stage,
      endpoint: options.endpoint,
      port: dynamoPort,
      dbPath: options.dbPath,
    }),
    startOffline({
      stage: options.stage,
      httpPort: options.httpPort,
      lambdaPort: options.lambdaPort,
      dynamoEndpoint,
      env: options.env,
      logFile: options.logFile,
      echo: options.echo,
      config: options.config,
      timeoutMs: options.timeoutMs,
    }),
  ]);
  if (db.status === 'rejected' || offline.status === 'rejected') {
    if (offline.status === 'fulfilled') await offline.value.stop();
    if (db.status === 'fulfilled') await db.value.stop();
    throw db.status === 'rejected'
      ? db.reason
      : /** @type {PromiseRejectedResult} */ (offline).reason;
  }
  return {
    db: db.value,
    offline: offline.value,
    stop: async () => {
      await offline.value.stop();
      await db.value.stop();
    },
  };
}
