import type { TestProject } from 'vitest/node';
import { functionEnvironment, startDatabase } from '../../scripts/lib/stack/stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    functionEnv: Record<string, string>;
    baseUrl: string;
    lambdaUrl: string;
    /** The e2e stack's log file: every service's JSON log lines. */
    logFile: string;
  }
}

/** Integration tests: one DynamoDB Local for the run (or DYNAMODB_ENDPOINT), with every table. */
export default async function setup(project: TestProject) {
  const db = await startDatabase({
    stage: 'test',
    endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
  });
  project.provide('functionEnv', await functionEnvironment('test', db.endpoint));
  return async () => {
    await db.stop();
  };
}
