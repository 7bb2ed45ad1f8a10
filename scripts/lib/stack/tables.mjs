// @ts-check
/**
 * Creates the local tables from serverless.yml's own resources, so the tables
 * used locally and the ones deployed to AWS come from one definition.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/**
 * serverless.yml with every variable resolved, as `sls print` sees it.
 * @param {string} stage
 * @param {NodeJS.ProcessEnv} [env]
 */
export async function resolvedServerlessConfig(stage, env = process.env) {
  const sls = path.join(root, 'node_modules', '.bin', 'sls');
  const { stdout } = await run(sls, ['print', '--format', 'json', '--stage', stage], {
    cwd: root,
    env: { ...env, SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/**
 * The AWS::DynamoDB::Table resources of serverless.yml, keyed by logical id.
 * @param {string} stage
 * @param {Record<string, any>} [resolved] the resolved config, if already at hand
 * @returns {Promise<Record<string, any>>}
 */
export async function tableDefinitions(stage, resolved) {
  const config = resolved ?? (await resolvedServerlessConfig(stage));
  const resources = config.resources?.Resources ?? {};
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
      .map(([id, r]) => [id, r.Properties]),
  );
}

/**
 * The gateway simulator's ledger table (GATEWAY_LEDGER_TABLE, local and test
 * stages only): the simulated gateway's own storage, not one of our
 * services' tables, so it is made here rather than declared in resources.
 * @param {Record<string, any>} config the resolved serverless.yml
 * @returns {Record<string, any> | undefined}
 */
export function gatewayLedgerDefinition(config) {
  const name = config.provider?.environment?.GATEWAY_LEDGER_TABLE;
  if (typeof name !== 'string' || name === '') return undefined;
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'idempotencyKey', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'idempotencyKey', KeyType: 'HASH' }],
  };
}

/** @param {string} endpoint */
export function localDynamoClient(endpoint) {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * A key schema as comparable text: `pk HASH S, sk RANGE S`.
 * @param {{ AttributeName?: string, KeyType?: string }[] | undefined} keys
 * @param {{ AttributeName?: string, AttributeType?: string }[] | undefined} attributes
 */
function keyText(keys, attributes) {
  const types = new Map((attributes ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  return (keys ?? [])
    .map((k) => `${k.AttributeName} ${k.KeyType} ${types.get(k.AttributeName) ?? '?'}`)
    .join(', ');
}

/**
 * How an existing table differs from its definition in serverless.yml, in
 * what a restart depends on: the key schema, and each GSI's keys and projection.
 * Empty when it matches (billing, tags, encryption are not compared).
 * @param {Record<string, any>} want the resource's Properties
 * @param {import('@aws-sdk/client-dynamodb').TableDescription} have
 * @returns {string[]}
 */
export function tableDifferences(want, have) {
  /** @type {string[]} */
  const differences = [];
  const wantKeys = keyText(want.KeySchema, want.AttributeDefinitions);
  const haveKeys = keyText(have.KeySchema, have.AttributeDefinitions);
  if (wantKeys !== haveKeys) differences.push(`key schema is (${haveKeys}), want (${wantKeys})`);
  /** @param {any[] | undefined} list */
  const indexes = (list, /** @type {any[] | undefined} */ attributes) =>
    new Map(
      (list ?? []).map((i) => [
        i.IndexName,
        `${keyText(i.KeySchema, attributes)}; ${i.Projection?.ProjectionType ?? 'ALL'}`,
      ]),
    );
  const wantIndexes = indexes(want.GlobalSecondaryIndexes, want.AttributeDefinitions);
  const haveIndexes = indexes(have.GlobalSecondaryIndexes, have.AttributeDefinitions);
  for (const [name, text] of wantIndexes) {
    const found = haveIndexes.get(name);
    if (found === undefined) differences.push(`index ${name} is missing`);
    else if (found !== text) differences.push(`index ${name} is (${found}), want (${text})`);
  }
  for (const name of haveIndexes.keys()) {
    if (!wantIndexes.has(name)) differences.push(`index ${name} is not in serverless.yml`);
  }
  return differences;
}

/**
 * Creates one table, or checks that the existing one matches its definition
 * (throws naming the table and each difference), then enables its TTL unless
 * it is already on for the same attribute. Safe to run again on the same data.
 * @param {DynamoDBClient} client
 * @param {Record<string, any>} props the resource's Properties
 */
export async function ensureTable(client, props) {
  const {
    TimeToLiveSpecification: ttl,
    PointInTimeRecoverySpecification: _pitr,
    SSESpecification: _sse,
    DeletionProtectionEnabled: _protection,
    Tags: _tags,
    StreamSpecification: stream,
    WarmThroughput: _warm,
    ...rest
  } = props;
  // Pre-warming is AWS's (a prod param); DynamoDB Local has nothing to warm.
  const create = {
    ...rest,
    ...(rest.GlobalSecondaryIndexes
      ? {
          GlobalSecondaryIndexes: rest.GlobalSecondaryIndexes.map(
            (/** @type {Record<string, any>} */ { WarmThroughput: _gsiWarm, ...gsi }) => gsi,
          ),
        }
      : {}),
  };
  const name = /** @type {string} */ (/** @type {Record<string, any>} */ (create).TableName);
  try {
    await client.send(
      new CreateTableCommand(/** @type {any} */ ({ ...create, StreamSpecification: stream })),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const differences = Table ? tableDifferences(create, Table) : ['it cannot be described'];
    if (differences.length > 0) {
      throw new Error(
        `Table ${name} exists but differs from serverless.yml: ${differences.join('; ')}. ` +
          'Delete it (or start with a fresh DynamoDB, e.g. without --persist) to have it recreated.',
      );
    }
  }
  if (!ttl?.Enabled) return;
  const { TimeToLiveDescription: current } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: name }),
  );
  const on = current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING';
  if (on && current?.AttributeName === ttl.AttributeName) return;
  if (on) {
    throw new Error(
      `Table ${name} has TTL on attribute ${current?.AttributeName}, but serverless.yml declares ${ttl.AttributeName}.`,
    );
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
    }),
  );
}

/**
 * Creates every table of serverless.yml at `endpoint`; existing ones are kept
 * when they match their definition (so a restart on persisted data works) and
 * named in an error when they do not.
 * @param {string} endpoint
 * @param {string} stage
 * @param {Record<string, any>} [resolved] the resolved config, if already at hand (a restart)
 * @returns {Promise<Record<string, string>>} logical id → table name
 */
export async function createTables(endpoint, stage, resolved) {
  const client = localDynamoClient(endpoint);
  const config = resolved ?? (await resolvedServerlessConfig(stage));
  const definitions = await tableDefinitions(stage, config);
  const ledger = gatewayLedgerDefinition(config);
  if (ledger) definitions.GatewayLedgerTable = ledger;
  try {
    // All at once: each is a few requests that wait on DynamoDB Local, not on us.
    const results = await Promise.allSettled(
      Object.values(definitions).map((props) => ensureTable(client, props)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw /** @type {PromiseRejectedResult} */ (failed).reason;
  } finally {
    client.destroy();
  }
  return Object.fromEntries(Object.entries(definitions).map(([id, p]) => [id, p.TableName]));
}
