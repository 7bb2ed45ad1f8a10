import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { freePort } from '../../scripts/lib/process.mjs';
// @ts-expect-error plain ESM script without types
import { functionEnvironment, startStack } from '../../scripts/lib/stack.mjs';

/** End-to-end tests: DynamoDB Local and serverless-offline on free ports, stopped after the run. */
export default async function setup(project: TestProject) {
  const httpPort = await freePort();
  const lambdaPort = await freePort();
  // Every service's log lines, as `npm start` writes them to .logs/local.log.
  const logDir = mkdtempSync(path.join(tmpdir(), 'lambda-payments-e2e-'));
  const logFile = process.env.E2E_LOG_FILE || path.join(logDir, 'offline.log');
  const stack = await startStack({
    stage: 'test',
    httpPort,
    lambdaPort,
    endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    logFile,
  });
  project.provide('baseUrl', stack.offline.baseUrl);
  project.provide('lambdaUrl', stack.offline.lambdaUrl);
  project.provide('logFile', logFile);
  project.provide('functionEnv', await functionEnvironment('test', stack.db.endpoint));
  return async () => {
    await stack.stop();
    rmSync(logDir, { recursive: true, force: true });
  };
}
