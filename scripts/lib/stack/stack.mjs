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
 * @param {{ stage: string, endpoint?: string, port?: number, dbPath?: string,
 *           resolved?: Promise<Record<string, any>> }} options `resolved`: serverless.yml
 *           resolved elsewhere (by serverless-offline); without it, `sls print` resolves it
 */
export async function startDatabase(options) {
  const started = Date.now();
  /** How long each step took, in ms from `started` to its end (npm start prints them). */
  const timings = { dynamodbLocalMs: 0, configMs: 0, tablesMs: 0 };
  const external = options.endpoint;
  // serverless.yml resolved while Java starts, not after.
  const resolved = (options.resolved ?? resolvedServerlessConfig(options.stage)).then((config) => {
    timings.configMs = Date.now() - started;
    return config;
  });
  resolved.catch(() => undefined); // awaited below; not unhandled if Java fails first
  const local = external
    ? undefined
    : await startDynamoDbLocal({ port: options.port, dbPath: options.dbPath });
  timings.dynamodbLocalMs = Date.now() - started;
  const endpoint = external ?? /** @type {NonNullable<typeof local>} */ (local).endpoint;
  try {
    const tables = await createTables(endpoint, options.stage, await resolved);
    timings.tablesMs = Date.now() - started;
    return {
      endpoint,
      tables,
      pid: local?.pid,
      dbPath: local?.dbPath,
      timings,
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
  const started = Date.now();
  // serverless.yml as offline resolves it, so it is resolved once: the tables
  // are made from it while offline bundles. Should offline be ready without
  // having sent it (a service file without the plugin), `sls print` does it.
  let configSent = false;
  /** @type {(config: Record<string, any> | Promise<Record<string, any>>) => void} */
  let settleConfig = () => undefined;
  /** @type {(error: unknown) => void} */
  let failConfig = () => undefined;
  /** @type {Promise<Record<string, any>>} */
  const resolved = new Promise((resolve, reject) => {
    settleConfig = resolve;
    failConfig = reject;
  });
  // Offline first: it is the longest step (framework, then bundling), and
  // starting the database begins with a blocking `java -version`.
  const offlineStarting = startOffline({
    stage: options.stage,
    httpPort: options.httpPort,
    lambdaPort: options.lambdaPort,
    dynamoEndpoint,
    env: options.env,
    logFile: options.logFile,
    echo: options.echo,
    config: options.config,
    timeoutMs: options.timeoutMs,
    onResolvedConfig: (config) => {
      configSent = true;
      settleConfig(config);
    },
  }).then((offline) => ({ offline, ms: Date.now() - started }));
  offlineStarting.then(() => {
    if (!configSent) settleConfig(resolvedServerlessConfig(options.stage));
  }, failConfig);
  const [db, run] = await Promise.allSettled([
    startDatabase({
      stage: options.stage,
      endpoint: options.endpoint,
      port: dynamoPort,
      dbPath: options.dbPath,
      resolved,
    }),
    offlineStarting,
  ]);
  if (db.status === 'rejected' || run.status === 'rejected') {
    if (run.status === 'fulfilled') await run.value.offline.stop();
    if (db.status === 'fulfilled') await db.value.stop();
    throw db.status === 'rejected' ? db.reason : /** @type {PromiseRejectedResult} */ (run).reason;
  }
  const { offline, ms: offlineMs } = run.value;
  return {
    db: db.value,
    offline,
    /** ms from the start of each step to its end; the steps overlap. */
    timings: { ...db.value.timings, offlineMs },
    stop: async () => {
      await offline.stop();
      await db.value.stop();
    },
  };
}
