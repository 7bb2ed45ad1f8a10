// @ts-check
/**
 * The whole local stack in one call: DynamoDB Local (or DYNAMODB_ENDPOINT),
 * every table of serverless.yml, and serverless-offline. Used by `npm start`
 * and by the end-to-end tests.
 */
import { startDynamoDbLocal } from './dynamodb-local.mjs';
import { startOffline } from './offline.mjs';
import { createTables, resolvedServerlessConfig } from './tables.mjs';

/**
 * Starts DynamoDB Local unless `endpoint` is given, and creates the tables.
 * @param {{ stage: string, endpoint?: string, port?: number }} options
 */
export async function startDatabase(options) {
  const external = options.endpoint;
  const local = external ? undefined : await startDynamoDbLocal({ port: options.port });
  const endpoint = external ?? /** @type {NonNullable<typeof local>} */ (local).endpoint;
  try {
    const tables = await createTables(endpoint, options.stage);
    return { endpoint, tables, pid: local?.pid, stop: async () => local?.stop() };
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
 *           dynamoPort?: number, env?: NodeJS.ProcessEnv, logFile?: string, echo?: boolean,
 *           config?: string, timeoutMs?: number }} options `timeoutMs`: how long offline may take to be ready
 */
export async function startStack(options) {
  const db = await startDatabase({
    stage: options.stage,
    endpoint: options.endpoint,
    port: options.dynamoPort,
  });
  try {
    const offline = await startOffline({
      stage: options.stage,
      httpPort: options.httpPort,
      lambdaPort: options.lambdaPort,
      dynamoEndpoint: db.endpoint,
      env: options.env,
      logFile: options.logFile,
      echo: options.echo,
      config: options.config,
      timeoutMs: options.timeoutMs,
    });
    return {
      db,
      offline,
      stop: async () => {
        await offline.stop();
        await db.stop();
      },
    };
  } catch (error) {
    await db.stop();
    throw error;
  }
}
