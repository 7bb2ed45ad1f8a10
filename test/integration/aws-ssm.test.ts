import type { APIGatewayRequestAuthorizerEventV2, Handler } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signGatewayPayload } from '../../lib/payment/webhook-signature.js';
import { uniqueId } from '../support/http.js';
import { fakeContext, httpEvent } from '../support/lambda.js';
import { withLogLines } from '../support/output.js';
import { makeKeyPair, signToken, type TestKeyPair } from '../support/service-tokens.js';
import { type SsmStandIn, startSsmStandIn } from '../support/ssm-stand-in.js';

// The code paths only AWS stages take (keys and the webhook secret from SSM),
// run through the real handlers and the real SDK against an SSM stand-in
// (AWS_ENDPOINT_URL_SSM), which throttles and changes parameters mid-run.

const PREFIX = '/lambda-payments/aws-test/auth';
const SECRET_PARAMETER = '/lambda-payments/aws-test/gateway/webhook-secret';
const ROUTE = 'PUT /orders/{orderId}/status';

let ssm: SsmStandIn;
const saved = { ...process.env };

/** Imports a handler module afresh, as a new container would, with `env` on top of the function's. */
async function coldStart<T>(module: string, env: Record<string, string>): Promise<T> {
  vi.resetModules();
  Object.assign(process.env, env);
  return (await import(module)) as T;
}

beforeAll(async () => {
  ssm = await startSsmStandIn();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_ACCESS_KEY_ID: 'stand-in',
    AWS_SECRET_ACCESS_KEY: 'stand-in',
    // One attempt per SDK call: a throttled read fails at once, as after the SDK's retries.
    AWS_MAX_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  process.env = saved;
  await ssm.close();
});

describe('The authorizer with keys from SSM', () => {
  let k1: TestKeyPair;
  let handler: (event: APIGatewayRequestAuthorizerEventV2) => Promise<{ isAuthorized: boolean }>;
  const call = async (key: TestKeyPair) =>
    handler({
      routeKey: ROUTE,
      headers: { authorization: `Bearer ${await signToken(key)}` },
    } as unknown as APIGatewayRequestAuthorizerEventV2);

  beforeAll(async () => {
    k1 = await makeKeyPair('payment-k1');
    ({ handler } = await coldStart<{ handler: typeof handler }>(
      '../../functions/auth/authorizer.js',
      {
        AUTH_KEYS_SSM_PREFIX: PREFIX,
        AUTH_TRUSTED_KEYS: '',
      },
    ));
  });

  it('fails as a server error while SSM throttles, never a deny, and allows once SSM answers', async () => {
    ssm.parameters.set(`${PREFIX}/payment/public-keys`, JSON.stringify([k1.publicJwk]));
    ssm.throttle = true;
    await expect(call(k1)).rejects.toThrow(/could not be checked/);
    ssm.throttle = false;
    await expect(call(k1)).resolves.toMatchObject({ isAuthorized: true });
  });

  it('fails as a server error when the public keys do not exist yet', async () => {
    const { handler: fresh } = await coldStart<{ handler: typeof handler }>(
      '../../functions/auth/authorizer.js',
      { AUTH_KEYS_SSM_PREFIX: '/lambda-payments/nowhere/auth' },
    );
    const token = await signToken(k1);
    await expect(
      fresh({ routeKey: ROUTE, headers: { authorization: `Bearer ${token}` } } as never),
    ).rejects.toThrow(/could not be checked/);
    process.env.AUTH_KEYS_SSM_PREFIX = PREFIX;
  });
});

describe('paymentCallback with the webhook secret in SSM', () => {
  let handler: Handler;
  const post = async (secret: string) => {
    const rawBody = JSON.stringify({
      transactionId: uniqueId('tx-ssm'),
      status: 'succeeded',
      gatewayReference: 'gw-1',
    });
    const t = Math.floor(Date.now() / 1000);
    const event = httpEvent({
      method: 'POST',
      path: '/payments/callback',
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-gateway-signature': signGatewayPayload(rawBody, secret, t),
      },
    });
    const response = await handler(event, fakeContext(15_000), () => undefined);
    return {
      status: response.statusCode as number,
      headers: response.headers,
      body: JSON.parse(response.body),
    };
  };

  beforeAll(async () => {
    ({ handler } = await coldStart<{ handler: Handler }>('../../functions/payment/callback.js', {
      GATEWAY_WEBHOOK_SECRET_PARAMETER: SECRET_PARAMETER,
      GATEWAY_WEBHOOK_SECRET: '',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    }));
  });

  it('answers 503 in our format and logs the missing parameter at error, then verifies once it exists', async () => {
    const { result: missing, lines } = await withLogLines(() => post('whatever'));
    expect(missing.status).toBe(503);
    expect(missing.headers['Retry-After']).toBe('30');
    expect(missing.body).toEqual({
      error: {
        code: 'CALLBACK_UNAVAILABLE',
        message: 'The callback cannot be verified right now; retry later',
        details: [],
      },
    });
    const errors = lines.filter(
      (line) => line.level === 'ERROR' && JSON.stringify(line).includes(SECRET_PARAMETER),
    );
    expect(errors.length, JSON.stringify(lines)).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({
      action: 'payment.callback.secret',
      parameter: SECRET_PARAMETER,
    });

    ssm.parameters.set(SECRET_PARAMETER, 'secret-from-ssm');
    const forged = await post('another-secret');
    expect(forged.status).toBe(401);
    const signed = await post('secret-from-ssm');
    expect(signed.status, JSON.stringify(signed.body)).not.toBe(401);
    expect(signed.status).not.toBe(503);
    expect(ssm.reads.filter((r) => r.name === SECRET_PARAMETER).every((r) => r.decrypt)).toBe(true);
  });
});
