import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BreakerRegistry } from '../../lib/http/breakers.js';
import {
  createInternalClient,
  DEFAULT_DOWNSTREAM_POLICY,
  type DownstreamPolicy,
} from '../../lib/http/client.js';
import { lambdaInvokeTransport } from '../../lib/http/lambda-invoke.js';
import { BufferedAnswer, type HttpAnswer, type HttpRequestInit } from '../../lib/http/transport.js';
import { INVOKE_FUNCTION_ENV, invokeRoutesFromEnv } from '../../lib/payment/compose.js';
import { parseFaults } from '../../lib/shared/fault-injection.js';
import { json } from '../../lib/shared/http.js';
import { type InternalRequest, isDownstreamError } from '../../lib/shared/internal-client.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { orderStatusRequest } from '../support/internal-requests.js';
import { fakeContext } from '../support/lambda.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const date = new Date('2026-12-07T05:06:07.000Z');
const endpoint = 'https://lambda.eu-west-1.amazonaws.com';
const routes = [
  { routeKey: 'PUT /orders/{orderId}/payment', functionName: 'lp-prod-orderHold' },
  { routeKey: 'PUT /orders/{orderId}/status', functionName: 'lp-prod-orderUpdateStatus' },
  { routeKey: 'POST /notifications', functionName: 'lp-prod-notificationSend' },
];
const logger = createLogger('payment');

/** What the fake Invoke API received: the URL, method, signed headers and the event. */
interface Sent {
  url: string;
  init: HttpRequestInit;
  event: APIGatewayProxyEventV2 & {
    requestContext: { authorizer?: { lambda?: Record<string, unknown> } };
  };
}

type InvokeReply = (sent: Sent) => HttpAnswer | Promise<HttpAnswer>;

/** An Invoke API answer: status, headers and a JSON payload. */
const invokeAnswer = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
  new BufferedAnswer(status, headers, JSON.stringify(payload));
/** A function that failed: the Invoke API answers 200 with its error and `X-Amz-Function-Error`. */
const functionError = (errorType: string, errorMessage?: string) =>
  invokeAnswer(200, { errorType, errorMessage }, { 'x-amz-function-error': 'Unhandled' });
/** A function that ran and answered HTTP (payload 2.0 result). */
const answered = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  invokeAnswer(200, {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** A fake Invoke API answering from a script (the last reply repeats), recording every request. */
function fakeInvokeApi(...script: InvokeReply[]) {
  const sent: Sent[] = [];
  const request = async (url: string, init: HttpRequestInit): Promise<HttpAnswer> => {
    const call: Sent = { url, init, event: JSON.parse(init.body ?? '{}') };
    sent.push(call);
    const reply = script[Math.min(sent.length - 1, script.length - 1)];
    return reply ? reply(call) : answered(200, {});
  };
  return { sent, request };
}

/** The client's own policy with its waits cut to a tenth (the budget to 3 s), and a breaker that stays closed. */
const fast: Partial<DownstreamPolicy> = {
  ...tenthOf(DEFAULT_DOWNSTREAM_POLICY),
  budgetMs: 3000,
  breaker: { threshold: 50, cooldownMs: 10_000 },
};

function tenthOf(policy: DownstreamPolicy): DownstreamPolicy {
  const { timeoutMs, connectTimeoutMs, budgetMs, backoff } = policy;
  return {
    ...policy,
    timeoutMs: timeoutMs / 10,
    connectTimeoutMs: connectTimeoutMs / 10,
    budgetMs: budgetMs / 10,
    backoff: { initialDelayMs: backoff.initialDelayMs / 10, maxDelayMs: backoff.maxDelayMs / 10 },
  };
}

/** The internal client on the invoke transport, on its own breakers. */
function invokeClient(...script: InvokeReply[]) {
  return invokeClientWith(fast, ...script);
}

/** {@link invokeClient} with a policy of its own. */
function invokeClientWith(policy: Partial<DownstreamPolicy>, ...script: InvokeReply[]) {
  const api = fakeInvokeApi(...script);
  const client = createInternalClient({
    transport: lambdaInvokeTransport({
      routes,
      caller: 'payment',
      region: 'eu-west-1',
      credentials,
      endpoint,
      request: api.request,
      now: () => date,
    }),
    tokenProvider: async () => 'header.payload.signature',
    defaults: policy,
    breakers: new BreakerRegistry(),
    logger,
  });
  return { client, sent: api.sent };
}

const statusRequest = (overrides: Partial<InternalRequest> = {}): InternalRequest =>
  orderStatusRequest('corr-invoke-1', { deadline: Date.now() + 5000, ...overrides });

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDownstreamError(error)) throw new Error(`expected a DownstreamError, got ${error}`);
  return error;
}

/** node:crypto as the signer's hash, for signing the expected request independently. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

describe('Function: lambdaInvokeTransport', () => {
  it('signs a synchronous POST to the Invoke API of the function that serves the route (SigV4, service lambda)', async () => {
    const { client, sent } = invokeClient(() => answered(200, { orderId: 'o-1' }));
    await client.send(statusRequest());

    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call?.url).toBe(
      `${endpoint}/2015-03-31/functions/lp-prod-orderUpdateStatus/invocations`,
    );
    expect(call?.init.method).toBe('POST');
    const headers = call?.init.headers ?? {};
    expect(headers['x-amz-invocation-type']).toBe('RequestResponse');
    expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261207\/eu-west-1\/lambda\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/,
    );
    // The same request signed by the SDK's signer on its own gives the same signature.
    const url = new URL(call?.url ?? '');
    const expected = await new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'lambda',
      sha256: NodeSha256 as never,
      applyChecksum: false,
    }).sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        headers: {
          'content-type': 'application/json',
          'x-amz-invocation-type': 'RequestResponse',
          host: url.host,
        },
        body: call?.init.body,
      },
      { signingDate: date },
    );
    expect(headers.authorization).toBe(expected.headers.authorization);
  });

  it('sends the HTTP API event (payload 2.0) the route would get through API Gateway, with the caller in the authorizer context', async () => {
    const { client, sent } = invokeClient(() => answered(200, {}));
    const deadline = Date.now() + 4000;
    await client.send(
      statusRequest({ path: '/orders/o-1/payment', deadline, idempotencyKey: 'tx-1' }),
    );

    const event = sent[0]?.event;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'PUT /orders/{orderId}/payment',
      rawPath: '/orders/o-1/payment',
      rawQueryString: '',
      pathParameters: { orderId: 'o-1' },
      isBase64Encoded: false,
      body: JSON.stringify({ status: 'PAID', eventId: 'evt-1' }),
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': 'corr-invoke-1',
        'idempotency-key': 'tx-1',
        authorization: 'Bearer header.payload.signature',
      },
      requestContext: {
        routeKey: 'PUT /orders/{orderId}/payment',
        stage: '$default',
        apiId: 'lambda-invoke',
        http: { method: 'PUT', path: '/orders/o-1/payment' },
        authorizer: { lambda: { caller: 'payment' } },
      },
    });
    // The attempt's deadline: never past the caller's own.
    const sentDeadline = Number(event?.headers['x-request-deadline']);
    expect(sentDeadline).toBeGreaterThan(Date.now());
    expect(sentDeadline).toBeLessThanOrEqual(deadline);
  });

  it("builds an event the services' middy handlers take as from a verified caller: its correlation id and deadline count", async () => {
    let seen: unknown;
    const route = httpHandler({ logger, body: true }, async (event) => {
      seen = { caller: event.caller, correlationId: event.correlationId, body: event.jsonBody };
      return json(200, { ok: true });
    });
    const { client } = invokeClient(async (s) =>
      invokeAnswer(200, await route(s.event as never, fakeContext() as Context)),
    );
    const answer = await client.send(statusRequest());
    expect(answer).toMatchObject({ status: 200, body: { ok: true }, attempts: 1 });
    expect(seen).toEqual({
      caller: { caller: 'payment', tokenId: undefined },
      correlationId: 'corr-invoke-1',
      body: { status: 'PAID', eventId: 'evt-1' },
    });

    // A deadline already past is refused by the callee before any work, as over HTTP.
    seen = undefined;
    const late = invokeClient(async (s) => {
      const event = s.event;
      event.headers['x-request-deadline'] = String(Date.now() - 1);
      return invokeAnswer(200, await route(event as never, fakeContext() as Context));
    });
    const refused = await failure(late.client.send(statusRequest()));
    expect(refused).toMatchObject({ status: 503, code: 'HTTP_503' });
    expect(seen).toBeUndefined();
  });

  it("returns the function's HTTP answer as the HTTP transport does: status, body, and a refusal is an answer", async () => {
    const { client } = invokeClient(() =>
      answered(409, { error: { code: 'ILLEGAL_TRANSITION', message: 'no' } }),
    );
    await expect(client.send(statusRequest())).resolves.toEqual({
      status: 409,
      body: { error: { code: 'ILLEGAL_TRANSITION', message: 'no' } },
      attempts: 1,
    });
  });

  it('takes a function error (200 with X-Amz-Function-Error) as a 502, retried, and a timed-out function as a 504', async () => {
    const crashed = invokeClient(
      () => functionError('Runtime.ExitError', 'exited'),
      () => answered(200, { orderId: 'o-1' }),
    );
    await expect(crashed.client.send(statusRequest())).resolves.toMatchObject({
      status: 200,
      attempts: 2,
    });

    const timedOut = invokeClient(() =>
      functionError('Sandbox.Timedout', 'Task timed out after 10.00 seconds'),
    );
    const error = await failure(timedOut.client.send(statusRequest()));
    expect(error).toMatchObject({ status: 504, code: 'HTTP_504', transient: true, attempts: 3 });
  });

  it("retries the Invoke API's 429 TooManyRequestsException, honouring its Retry-After, and reports it when it persists", async () => {
    const { client, sent } = invokeClient(() =>
      invokeAnswer(
        429,
        { Type: 'User', message: 'Rate Exceeded.' },
        { 'x-amzn-errortype': 'TooManyRequestsException', 'retry-after': '1' },
      ),
    );
    const started = Date.now();
    const error = await failure(client.send(statusRequest({ deadline: Date.now() + 1500 })));
    expect(error).toMatchObject({ status: 429, code: 'HTTP_429', transient: true });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    // One wait of Retry-After fits in the 1.5 s left; a second does not.
    expect(sent.length).toBe(2);
    expect(sent[1]!.init.signal).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("retries the Invoke API's 502/503 and does not retry its 500 within the call (transient, for the outbox)", async () => {
    const unavailable = invokeClient(
      () => invokeAnswer(503, { message: 'ServiceUnavailable' }),
      () => answered(200, {}),
    );
    await expect(unavailable.client.send(statusRequest())).resolves.toMatchObject({
      status: 200,
      attempts: 2,
    });

    const broken = invokeClient(() =>
      invokeAnswer(
        500,
        { message: 'ServiceException' },
        { 'x-amzn-errortype': 'ServiceException' },
      ),
    );
    const error = await failure(broken.client.send(statusRequest()));
    expect(error).toMatchObject({ status: 500, code: 'HTTP_500', transient: true, attempts: 1 });
  });

  it("passes the Invoke API's refusal of the caller (403 AccessDenied) as a 403, which the outbox retries a bounded number of times", async () => {
    const { client } = invokeClient(() =>
      invokeAnswer(
        403,
        { Message: 'not authorized to perform: lambda:InvokeFunction' },
        { 'x-amzn-errortype': 'AccessDeniedException' },
      ),
    );
    await expect(client.send(statusRequest())).resolves.toMatchObject({
      status: 403,
      body: { error: { code: 'AccessDeniedException' } },
      attempts: 1,
    });
  });

  it('retries a network error, and reports NETWORK when it persists', async () => {
    const refused = () =>
      Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const { client, sent } = invokeClient(refused);
    const error = await failure(client.send(statusRequest()));
    expect(error).toMatchObject({ code: 'NETWORK', transient: true, attempts: 3 });
    expect(sent).toHaveLength(3);
  });

  it('ends an attempt that gets no answer at its timeout (the abort signal reaches the request)', async () => {
    const hang = (s: Sent) =>
      new Promise<HttpAnswer>((_, reject) => {
        s.init.signal?.addEventListener('abort', () => reject(s.init.signal?.reason));
      });
    const { client, sent } = invokeClient(hang, () => answered(200, {}));
    const started = Date.now();
    await expect(client.send(statusRequest())).resolves.toMatchObject({ attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(fast.timeoutMs!);
    expect(sent[0]?.init.connectTimeoutMs).toBe(fast.connectTimeoutMs);

    const never = invokeClient(hang);
    const error = await failure(never.client.send(statusRequest({ idempotencyKey: undefined })));
    expect(error).toMatchObject({ code: 'TIMEOUT', transient: true, attempts: 1 });
  });

  it("opens the order's breaker on function errors that persist, then fails fast without invoking", async () => {
    const { client, sent } = invokeClientWith(
      { ...fast, maxAttempts: 1, breaker: { threshold: 3, cooldownMs: 60_000 } },
      () => functionError('Error'),
    );
    for (let i = 0; i < 3; i += 1) {
      expect(await failure(client.send(statusRequest()))).toMatchObject({ status: 502 });
    }
    const fastFail = await failure(client.send(statusRequest()));
    expect(fastFail).toMatchObject({ code: 'BREAKER_OPEN', transient: true });
    expect(fastFail.retryAfterMs).toBeGreaterThan(0);
    expect(sent).toHaveLength(3);
  });

  it('applies x-fault-inject before the transport: order=status:503x1 answers 503 once without invoking, then the function answers', async () => {
    const { client, sent } = invokeClient(() => answered(200, {}));
    const answer = await client.send(
      statusRequest({ faults: parseFaults({ 'x-fault-inject': 'order=status:503x1' }, true) }),
    );
    expect(answer).toMatchObject({ status: 200, attempts: 2 });
    expect(sent).toHaveLength(1);
  });

  it('refuses a route no function is configured for, without calling anything', async () => {
    const { client, sent } = invokeClient(() => answered(200, {}));
    const error = await failure(
      client.send(
        statusRequest({
          path: '/orders/o-1/payment/release',
          method: 'POST',
          idempotencyKey: undefined,
        }),
      ),
    );
    expect(error.message).toMatch(
      /No function is configured for POST \/orders\/o-1\/payment\/release/,
    );
    expect(sent).toHaveLength(0);
  });
});

describe('Function: invokeRoutesFromEnv', () => {
  it('names the function of each route the environment sets, and only those', () => {
    expect(
      invokeRoutesFromEnv({
        ORDER_STATUS_FUNCTION: 'lp-test-orderUpdateStatus',
        NOTIFICATION_SEND_FUNCTION: 'lp-test-notificationSend',
      }),
    ).toEqual([
      { routeKey: 'PUT /orders/{orderId}/status', functionName: 'lp-test-orderUpdateStatus' },
      { routeKey: 'POST /notifications', functionName: 'lp-test-notificationSend' },
    ]);
    expect(invokeRoutesFromEnv({})).toEqual([]);
    expect(Object.keys(INVOKE_FUNCTION_ENV).sort()).toEqual([
      'POST /notifications',
      'POST /orders/{orderId}/payment/release',
      'PUT /orders/{orderId}/payment',
      'PUT /orders/{orderId}/status',
    ]);
  });
});
