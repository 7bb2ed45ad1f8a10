import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDevKeys } from '../../scripts/lib/stack/keys.mjs';
import { freePort } from '../../scripts/lib/stack/process.mjs';
import { functionEnvironment, startStack } from '../../scripts/lib/stack/stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The service keys offline runs with (scripts/lib/stack/keys.mjs): tests sign tokens with them. */
    serviceKeys: Record<string, string>;
  }
}

/** End-to-end tests: DynamoDB Local and serverless-offline on free ports, stopped after the run. */
export default async function setup(project: TestProject) {
  // Tests make their own service keys: a fresh temp dir per run, removed after it.
  const keysDir = mkdtempSync(path.join(tmpdir(), 'lambda-payments-keys-'));
  const keyEnv: Record<string, string> = await ensureDevKeys(keysDir);
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
    env: keyEnv,
    // Offline bundles every function before it answers: minutes on a machine shared with others.
    timeoutMs: Number(process.env.OFFLINE_START_TIMEOUT_MS ?? 240_000),
  });
  project.provide('baseUrl', stack.offline.baseUrl);
  project.provide('lambdaUrl', stack.offline.lambdaUrl);
  project.provide('logFile', logFile);
  project.provide('functionEnv', await functionEnvironment('test', stack.db.endpoint));
  project.provide('serviceKeys', keyEnv);
  return async () => {
    await stack.stop();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
  };
}
