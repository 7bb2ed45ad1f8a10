import { defineConfig } from 'vitest/config';

const quiet = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'eu-west-1',
};

export default defineConfig({
  test: {
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: quiet,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-database.ts'],
          setupFiles: ['test/support/function-env.ts'],
          env: quiet,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // One file at a time: the hostile-input test proves that no table
          // changed, which only holds while no other file is writing.
          fileParallelism: false,
          globalSetup: ['test/support/global-browser.ts', 'test/support/global-stack.ts'],
          setupFiles: ['test/support/function-env.ts'],
          env: quiet,
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          // One `sls package --stage dev` and an `sls print` per stage, then
          // the tests only read the template, the zips and docs/openapi.yaml.
          globalSetup: ['test/support/global-package.ts'],
          env: quiet,
        },
      },
    ],
  },
});
