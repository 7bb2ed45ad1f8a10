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
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
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
 * @returns {Promise<Record<string, any>>}
 */
export async function tableDefinitions(stage) {
  const config = await resolvedServerlessConfig(stage);
  const resources = config.resources?.Resources ?? {};
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
      .map(([id, r]) => [id, r.Properties]),
  );
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
 * Creates every table of serverless.yml at `endpoint` (existing ones are kept).
 * @param {string} endpoint
 * @param {string} stage
 * @param {Record<string, any>} [known] the stage's {@link tableDefinitions}, if already read
 * @returns {Promise<Record<string, string>>} logical id → table name
 */
export async function createTables(endpoint, stage, known) {
  const client = localDynamoClient(endpoint);
  const definitions = known ?? (await tableDefinitions(stage));
  try {
    for (const props of Object.values(definitions)) {
      const {
        TimeToLiveSpecification: ttl,
        PointInTimeRecoverySpecification: _pitr,
        SSESpecification: _sse,
        Tags: _tags,
        StreamSpecification: stream,
        ...create
      } = props;
      try {
        await client.send(new CreateTableCommand({ ...create, StreamSpecification: stream }));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      if (ttl?.Enabled) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: create.TableName,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
  return Object.fromEntries(Object.entries(definitions).map(([id, p]) => [id, p.TableName]));
}
