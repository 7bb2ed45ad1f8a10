import { inject } from 'vitest';

// Runs before each integration/e2e test file is imported: the code under test
// sees the same environment serverless.yml gives the deployed functions
// (the log level stays the test's own, so test output stays readable).
const { POWERTOOLS_LOG_LEVEL: _level, ...functionEnv } = inject('functionEnv');
Object.assign(process.env, functionEnv);
