import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { freePort } from '../../scripts/lib/process.mjs';
// @ts-expect-error plain ESM script without types
import { functionEnvironment, startStack } from '../../scripts/lib/stack.mjs';

/** End-to-end tests: DynamoDB Local and serverless-offline on free ports, stopped after the run. */
export default async function setup(project: TestProject) {
  const httpPort = await freePort();
  const lambdaPort = await freePort();
  const stack = await startStack({
    stage: 'test',
    httpPort,
    lambdaPort,
    endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    logFile: process.env.E2E_LOG_FILE,
  });
  project.provide('baseUrl', stack.offline.baseUrl);
  project.provide('lambdaUrl', stack.offline.lambdaUrl);
  project.provide('functionEnv', await functionEnvironment('test', stack.db.endpoint));
  return async () => {
    await stack.stop();
  };
}
