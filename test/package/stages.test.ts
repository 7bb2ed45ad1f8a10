import { describe, expect, inject, it } from 'vitest';

interface PrintedConfig {
  provider: { environment: Record<string, unknown>; logRetentionInDays: number };
  functions: Record<string, { environment?: Record<string, unknown> }>;
  resources: {
    Resources: Record<string, { Type: string }>;
    extensions: Record<string, Record<string, unknown>>;
  };
  custom: {
    esbuild: {
      minify: boolean;
      keepNames: boolean;
      sourcemap: string;
      format: string;
      exclude: string[];
    };
  };
}

/** serverless.yml as `sls print --stage <stage>` resolves it, from a shell that sets local values (global-package.ts). */
const config = (stage: string) => inject('stageConfigs')[stage] as PrintedConfig;
const env = (stage: string) => config(stage).provider.environment;

describe('Stages of serverless.yml', () => {
  it.each(['local', 'test'])('runs %s against the offline URL, with fault injection', (stage) => {
    expect(env(stage)).toMatchObject({
      STAGE: stage,
      FAULT_INJECTION: 'true',
      SERVICE_BASE_URL: 'http://127.0.0.1:3000',
      // serverless-offline's Lambda invoke API: the payment functions call order and notification there.
      LAMBDA_ENDPOINT: 'http://127.0.0.1:3002',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      AUTH_KEYS_SSM_PREFIX: '',
    });
    expect(config(stage).functions.paymentRelay?.environment).toMatchObject({
      ORDER_STATUS_FUNCTION: `lambda-payments-${stage}-orderUpdateStatus`,
      NOTIFICATION_SEND_FUNCTION: `lambda-payments-${stage}-notificationSend`,
    });
    expect(config(stage).functions.paymentCreate?.environment?.AUTH_SIGNING_KEY).toBe(
      'shell-signing-key',
    );
    // The webhook secret from the stage params, to paymentCallback only; no SSM locally.
    expect(config(stage).functions.paymentCallback?.environment).toMatchObject({
      GATEWAY_WEBHOOK_SECRET: 'shell-webhook-secret',
      GATEWAY_WEBHOOK_SECRET_PARAMETER: '',
    });
    expect(env(stage).GATEWAY_WEBHOOK_SECRET).toBeUndefined();
  });

  it.each(['dev', 'prod'])(
    'runs %s in AWS: no fault injection, the API URL, keys from SSM, whatever the shell says',
    (stage) => {
      expect(env(stage)).toMatchObject({
        STAGE: stage,
        FAULT_INJECTION: 'false',
        SERVICE_BASE_URL: { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] },
        LAMBDA_ENDPOINT: '',
        DYNAMODB_ENDPOINT: '',
        POWERTOOLS_DEV: 'false',
        AUTH_KEYS_SSM_PREFIX: `/lambda-payments/${stage}/auth`,
      });
      // The webhook secret is read from SSM at run time: the shell's never reaches AWS.
      expect(env(stage).GATEWAY_WEBHOOK_SECRET).toBeUndefined();
      expect(config(stage).functions.paymentCallback?.environment).toMatchObject({
        GATEWAY_WEBHOOK_SECRET: '',
        GATEWAY_WEBHOOK_SECRET_PARAMETER: `/lambda-payments/${stage}/gateway/webhook-secret`,
      });
      for (const [name, fn] of Object.entries(config(stage).functions)) {
        expect(fn.environment?.AUTH_SIGNING_KEY ?? '', name).toBe('');
        expect(fn.environment?.AUTH_TRUSTED_KEYS ?? '', name).toBe('');
      }
    },
  );

  it.each(['local', 'test', 'dev', 'prod'])('names the tables of %s after the stage', (stage) => {
    for (const name of ['ORDERS_TABLE', 'PAYMENTS_TABLE', 'IDEMPOTENCY_TABLE']) {
      expect(env(stage)[name]).toMatch(new RegExp(`^lambda-payments-${stage}-`));
    }
  });

  it.each([
    ['local', false],
    ['test', false],
    ['dev', true],
    ['prod', true],
  ])(
    'bundles %s as minified ESM with the AWS SDK inside and source maps, split into chunks: %s',
    (stage, splitting) => {
      expect(config(stage).custom.esbuild).toMatchObject({
        minify: true,
        // No keepNames: +13-18 % CPU at a cold start; errors name themselves (docs/performance.md).
        keepNames: false,
        // In AWS the Tracer loads from a chunk of its own on the first sampled
        // invocation; under serverless-offline it never loads, and one build
        // makes every function (scripts/serverless-offline-bundle.cjs), which
        // splitting would share out.
        splitting,
        sourcemap: 'linked',
        format: 'esm',
        exclude: [],
      });
    },
  );

  it.each([
    ['local', 'Delete', false],
    ['test', 'Delete', false],
    ['dev', 'Delete', false],
    ['prod', 'Retain', true],
  ])(
    'gives every table of %s the deletion policy %s (deletion protection: %s)',
    (stage, policy, protect) => {
      const { Resources, extensions } = config(stage).resources;
      const tables = Object.keys(Resources).filter(
        (id) => Resources[id]?.Type === 'AWS::DynamoDB::Table',
      );
      expect(tables.length).toBeGreaterThanOrEqual(6);
      for (const id of tables) {
        expect(extensions[id], id).toMatchObject({
          DeletionPolicy: policy,
          UpdateReplacePolicy: policy,
          Properties: { DeletionProtectionEnabled: protect },
        });
        // Pre-warmed for the capacity target in prod only (npm run capacity); omitted elsewhere.
        const warm = (extensions[id] as { Properties: { WarmThroughput?: unknown } }).Properties
          .WarmThroughput;
        if (stage === 'prod' && id !== 'GatewayLedgerTable') {
          expect(warm, id).toMatchObject({ WriteUnitsPerSecond: expect.any(Number) });
        } else {
          expect(warm, id).toEqual({ Ref: 'AWS::NoValue' });
        }
      }
    },
  );

  it('keeps production logs longer than development logs', () => {
    expect(config('prod').provider.logRetentionInDays).toBeGreaterThan(
      config('dev').provider.logRetentionInDays,
    );
  });
});
