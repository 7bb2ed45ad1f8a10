import { describe, expect, inject, it } from 'vitest';

interface PrintedConfig {
  provider: { timeout: number };
  functions: Record<string, { timeout?: number; environment?: Record<string, unknown> }>;
}

/** serverless.yml as `sls print --stage <stage>` resolves it (global-package.ts). */
const config = (stage: string) => inject('stageConfigs')[stage] as PrintedConfig;
const graceSeconds = (stage: string) =>
  Number(config(stage).functions.paymentRelay?.environment?.CHARGE_RECONCILE_GRACE_SECONDS);
/** The longest a payment request can still be running: its function's timeout. */
const longestPaymentRequest = (stage: string) =>
  Math.max(
    ...['paymentCreate', 'paymentCallback'].map(
      (fn) => config(stage).functions[fn]?.timeout ?? config(stage).provider.timeout,
    ),
  );

describe('Charge reconciler configuration per stage', () => {
  it.each(['local', 'dev', 'prod'])(
    'waits in %s for longer than a payment request can run before finishing its charge',
    (stage) => {
      expect(graceSeconds(stage)).toBeGreaterThan(longestPaymentRequest(stage));
    },
  );

  it('waits 60 s in AWS stages and only 2 s in the test stage', () => {
    expect(graceSeconds('dev')).toBe(60);
    expect(graceSeconds('prod')).toBe(60);
    expect(graceSeconds('test')).toBe(2);
  });
});
