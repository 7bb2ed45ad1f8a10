import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BreakerRegistry, type BreakerState } from '../../lib/http/breakers.js';
import {
  createInternalClient,
  type DownstreamPolicy,
  type InternalClientOptions,
} from '../../lib/http/client.js';
import { parseFaults } from '../../lib/shared/fault-injection.js';
import { type InternalRequest, isDownstreamError } from '../../lib/shared/internal-client.js';
import { createLogger } from '../../lib/shared/logger.js';
import { orderStatusRequest } from '../support/internal-requests.js';

/** How the fake downstream answers one request. */
type Reply = (res: ServerResponse) => void;

const status =
  (code: number, body: unknown = {}, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
/** Never answers: the client's timeout has to end the attempt. */
const hang: Reply = () => undefined;

/**
 * A real HTTP server on 127.0.0.1:0 that answers from a script (the last reply
 * repeats) and records what it received.
 */
class FakeDownstream {
  readonly received: { headers: IncomingHttpHeaders; at: number }[] = [];
  private script: Reply[] = [status(200)];
  private readonly server: Server = createServer((req, res) => {
    this.received.push({ headers: req.headers, at: Date.now() });
    const reply = this.script[Math.min(this.received.length - 1, this.script.length - 1)];
    req.resume();
    reply?.(res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(...script: Reply[]): void {
    this.script = script;
    this.received.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const logger = createLogger('payment');
const downstream = new FakeDownstream();
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await downstream.start();
});
afterAll(() => downstream.stop());
afterEach(() => {
  vi.useRealTimers();
});

const fast: Partial<DownstreamPolicy> = {
  timeoutMs: 1000,
  connectTimeoutMs: 500,
  maxAttempts: 3,
  budgetMs: 5000,
  backoff: { initialDelayMs: 20, maxDelayMs: 80 },
  breaker: { threshold: 50, cooldownMs: 10_000 },
};

/** A client on its own breakers (tests must not share breaker state), recording its hooks. */
function client(
  policy: Partial<DownstreamPolicy> = {},
  extra: Partial<InternalClientOptions> = {},
) {
  const retries: { attempt: number; delayMs: number }[] = [];
  const attempts: { attempt: number; code?: string; durationMs: number }[] = [];
  const transitions: BreakerState[] = [];
  const breakers = new BreakerRegistry();
  const instance = createInternalClient({
    baseUrls: { order: baseUrl, notification: baseUrl, payment: baseUrl },
    defaults: { ...fast, ...policy },
    breakers,
    logger,
    hooks: {
      onRetry: (e) => retries.push({ attempt: e.attempt, delayMs: e.delayMs }),
      onAttempt: (e) =>
        attempts.push({ attempt: e.attempt, code: e.code, durationMs: e.durationMs }),
      onBreakerStateChange: (e) => transitions.push(e.state),
    },
    ...extra,
  });
  return { instance, retries, attempts, transitions, breakers };
}

const request = (overrides: Partial<InternalRequest> = {}): InternalRequest =>
  orderStatusRequest('corr-http-client-1', overrides);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDownstreamError(error))
    throw new Error(`expected a DownstreamError, got ${String(error)}`);
  return error;
}

describe('Function: createInternalClient', () => {
  describe('retries', () => {
    it('delivers after two 503s, in 3 attempts, with jittered bounded delays', async () => {
      const delays: number[][] = [];
      for (let i = 0; i < 4; i += 1) {
        downstream.answer(status(503), status(503), status(200, { ok: true }));
        const { instance, retries } = client();
        const response = await instance.send(request());
        expect(response).toEqual({ status: 200, body: { ok: true }, attempts: 3 });
        expect(downstream.received).toHaveLength(3);
        for (const seen of downstream.received) {
          expect(seen.headers['idempotency-key']).toBe('evt-1');
          expect(seen.headers['x-correlation-id']).toBe('corr-http-client-1');
        }
        delays.push(retries.map((r) => r.delayMs));
      }
      for (const [first, second] of delays) {
        // Full jitter: [0, initial) then [0, 2 * initial), capped at maxDelay.
        expect(first).toBeGreaterThanOrEqual(0);
        expect(first).toBeLessThan(20);
        expect(second).toBeGreaterThanOrEqual(0);
        expect(second).toBeLessThan(40);
      }
      expect(new Set(delays.flat()).size).toBeGreaterThan(1);
    });

    it('does not retry a 400 and returns it to the caller', async () => {
      downstream.answer(status(400, { error: { code: 'VALIDATION_FAILED' } }));
      const { instance } = client();
      const response = await instance.send(request());
      expect(response).toMatchObject({ status: 400, attempts: 1 });
      expect(downstream.received).toHaveLength(1);
    });

    it('logs an answer that says no (422) as refused at WARN, and a 2xx as success at DEBUG (the callee logs it)', async () => {
      const warn = vi.spyOn(logger, 'warn');
      const info = vi.spyOn(logger, 'info');
      const debug = vi.spyOn(logger, 'debug');
      const callLines = () =>
        [
          ...warn.mock.calls.map((c) => ['WARN', ...c]),
          ...info.mock.calls.map((c) => ['INFO', ...c]),
          ...debug.mock.calls.map((c) => ['DEBUG', ...c]),
        ]
          .filter(([, message]) => String(message).startsWith('http.call'))
          .map(([level, , fields]) => [
            level,
            (fields as { outcome: string; status: number }).outcome,
            (fields as { status: number }).status,
          ]);
      try {
        downstream.answer(status(422, { error: { code: 'ORDER_MISMATCH' } }));
        const { instance } = client();
        expect((await instance.send(request())).status).toBe(422);
        expect(callLines()).toEqual([['WARN', 'refused', 422]]);
        downstream.answer(status(200, { ok: true }));
        expect((await instance.send(request())).status).toBe(200);
        expect(callLines()).toEqual([
          ['WARN', 'refused', 422],
          ['DEBUG', 'success', 200],
        ]);
      } finally {
        warn.mockRestore();
        info.mockRestore();
        debug.mockRestore();
      }
    });

    it('never retries a request without an idempotency key', async () => {
      downstream.answer(status(503), status(200));
      const { instance } = client();
      const error = await failure(instance.send(request({ idempotencyKey: undefined })));
      expect(error).toMatchObject({ transient: true, status: 503, attempts: 1 });
      expect(downstream.received).toHaveLength(1);
    });

    it('aborts a hung attempt at the timeout and retries within the budget', async () => {
      downstream.answer(hang, status(200));
      const { instance, attempts } = client({ timeoutMs: 150, budgetMs: 2000 });
      const started = Date.now();
      const response = await instance.send(request());
      expect(response).toMatchObject({ status: 200, attempts: 2 });
      expect(attempts[0]).toMatchObject({ attempt: 1, code: 'TIMEOUT' });
      expect(attempts[0]?.durationMs).toBeGreaterThanOrEqual(140);
      expect(attempts[0]?.durationMs).toBeLessThan(1000);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('stops retrying when the time budget is spent', async () => {
      downstream.answer(hang);
      const { instance } = client({ timeoutMs: 150, budgetMs: 400, maxAttempts: 10 });
      const started = Date.now();
      const error = await failure(instance.send(request()));
      expect(error.transient).toBe(true);
      expect(Date.now() - started).toBeLessThan(900);
      expect(downstream.received.length).toBeLessThanOrEqual(3);
    });

    it('honours Retry-After before the next attempt', async () => {
      downstream.answer(status(503, {}, { 'retry-after': '1' }), status(200));
      const { instance, retries } = client();
      const started = Date.now();
      const response = await instance.send(request());
      expect(response).toMatchObject({ status: 200, attempts: 2 });
      expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(1000);
      const [first, second] = downstream.received;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('gives up at once when Retry-After is beyond the budget, and says how long to wait', async () => {
      downstream.answer(status(429, {}, { 'retry-after': '30' }), status(200));
      const { instance } = client({ budgetMs: 2000 });
      const error = await failure(instance.send(request()));
      expect(error).toMatchObject({ transient: true, status: 429, retryAfterMs: 30_000 });
      expect(downstream.received).toHaveLength(1);
    });

    it('treats serverless-offline LambdaTimeoutError (HTTP 200) as transient', async () => {
      const lambdaTimeout = status(200, { errorType: 'LambdaTimeoutError', errorMessage: 'x' });
      downstream.answer(lambdaTimeout, status(200, { ok: true }));
      const { instance } = client();
      expect(await instance.send(request())).toEqual({
        status: 200,
        body: { ok: true },
        attempts: 2,
      });

      downstream.answer(lambdaTimeout);
      const error = await failure(client().instance.send(request({ idempotencyKey: undefined })));
      expect(error).toMatchObject({ transient: true, code: 'LAMBDA_TIMEOUT' });
    });

    it('does not retry a 500 within the call but reports it as transient for the outbox', async () => {
      downstream.answer(status(500), status(200));
      const error = await failure(client().instance.send(request()));
      expect(error).toMatchObject({ transient: true, status: 500, attempts: 1 });
    });
  });

  describe('deadline', () => {
    it('caps the timeout by the request deadline and sends it as x-request-deadline', async () => {
      downstream.answer(hang);
      const { instance } = client({ timeoutMs: 5000, budgetMs: 10_000 });
      const started = Date.now();
      const deadline = started + 300;
      const error = await failure(instance.send(request({ deadline })));
      const elapsed = Date.now() - started;
      expect(error).toMatchObject({ transient: true, code: 'DEADLINE_EXCEEDED' });
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
      const sent = Number(downstream.received[0]?.headers['x-request-deadline']);
      expect(sent).toBeLessThanOrEqual(deadline);
      expect(sent).toBeGreaterThan(started);
    });

    it('does not call at all when the deadline has already passed', async () => {
      downstream.answer(status(200));
      const error = await failure(client().instance.send(request({ deadline: Date.now() - 1 })));
      expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', attempts: 0 });
      expect(downstream.received).toHaveLength(0);
    });
  });

  describe('circuit breaker', () => {
    it('opens after the threshold, fails fast, then half-opens and closes on recovery', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      downstream.answer(status(503));
      const { instance, transitions, breakers } = client({
        maxAttempts: 1,
        breaker: { threshold: 3, cooldownMs: 10_000 },
      });
      for (let i = 0; i < 3; i += 1) {
        expect(await failure(instance.send(request()))).toMatchObject({ status: 503 });
      }
      expect(breakers.state('order')).toBe('open');
      expect(downstream.received).toHaveLength(3);

      const fastFailure = await failure(instance.send(request()));
      expect(fastFailure).toMatchObject({ transient: true, code: 'BREAKER_OPEN' });
      expect(fastFailure.retryAfterMs).toBeGreaterThan(9000);
      expect(fastFailure.retryAfterMs).toBeLessThanOrEqual(10_000);
      expect(downstream.received).toHaveLength(3);
      // Another downstream keeps its own, closed breaker.
      expect(await failure(instance.send(request({ service: 'notification' })))).toMatchObject({
        status: 503,
      });
      expect(breakers.state('notification')).toBe('closed');

      downstream.answer(status(200));
      vi.setSystemTime(Date.now() + 10_001);
      expect(await instance.send(request())).toMatchObject({ status: 200, attempts: 1 });
      expect(downstream.received).toHaveLength(1);
      expect(breakers.state('order')).toBe('closed');
      expect(transitions).toEqual(['open', 'half-open', 'closed']);
    });

    it('opens again when the half-open probe fails', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      downstream.answer(status(502));
      const { instance, breakers } = client({
        maxAttempts: 1,
        breaker: { threshold: 2, cooldownMs: 5000 },
      });
      await failure(instance.send(request()));
      await failure(instance.send(request()));
      expect(breakers.state('order')).toBe('open');
      vi.setSystemTime(Date.now() + 5001);
      expect(await failure(instance.send(request()))).toMatchObject({ status: 502 });
      expect(breakers.state('order')).toBe('open');
      expect(await failure(instance.send(request()))).toMatchObject({ code: 'BREAKER_OPEN' });
    });
  });

  describe('fault injection', () => {
    it('is ignored when disabled: the header yields no faults and the call is real', async () => {
      downstream.answer(status(200, { real: true }));
      const faults = parseFaults({ 'x-fault-inject': 'order=status:503' }, false);
      expect(faults).toEqual([]);
      const response = await client().instance.send(request({ faults }));
      expect(response).toMatchObject({ status: 200, body: { real: true } });
      expect(downstream.received).toHaveLength(1);
    });

    it('answers an injected status without calling the downstream', async () => {
      downstream.answer(status(200));
      const faults = parseFaults({ 'x-fault-inject': 'order=status:503' }, true);
      const error = await failure(
        client().instance.send(request({ faults, idempotencyKey: undefined })),
      );
      expect(error).toMatchObject({ status: 503, attempts: 1 });
      expect(downstream.received).toHaveLength(0);
    });

    it('applies a counted fault to the first attempts only', async () => {
      downstream.answer(status(200, { ok: true }));
      const faults = parseFaults({ 'x-fault-inject': 'order=status:503x2' }, true);
      const response = await client().instance.send(request({ faults }));
      expect(response).toEqual({ status: 200, body: { ok: true }, attempts: 3 });
      expect(downstream.received).toHaveLength(1);
    });

    it('delays a call so that the timeout fires, and simulates a network error', async () => {
      downstream.answer(status(200));
      const { instance } = client({ timeoutMs: 100 });
      const delay = parseFaults({ 'x-fault-inject': 'order=delay:5000' }, true);
      const started = Date.now();
      const timedOut = await failure(
        instance.send(request({ faults: delay, idempotencyKey: undefined })),
      );
      expect(timedOut).toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1000);

      const network = parseFaults({ 'x-fault-inject': 'order=network' }, true);
      const unreachable = await failure(
        instance.send(request({ faults: network, idempotencyKey: undefined })),
      );
      expect(unreachable).toMatchObject({ code: 'NETWORK', transient: true });
      expect(downstream.received).toHaveLength(0);
    });

    it('does not let injected failures open the breaker that every request shares', async () => {
      downstream.answer(status(200));
      const { instance, breakers } = client({
        maxAttempts: 1,
        breaker: { threshold: 2, cooldownMs: 10_000 },
      });
      const faults = parseFaults({ 'x-fault-inject': 'order=status:503' }, true);
      for (let i = 0; i < 3; i += 1) {
        expect(await failure(instance.send(request({ faults })))).toMatchObject({
          status: 503,
          injected: true,
        });
      }
      expect(breakers.state('order')).toBe('closed');
      expect(await instance.send(request())).toMatchObject({ status: 200 });
    });

    it('leaves other downstreams alone', async () => {
      downstream.answer(status(200));
      const faults = parseFaults({ 'x-fault-inject': 'notification=status:503' }, true);
      expect(await client().instance.send(request({ faults }))).toMatchObject({ status: 200 });
    });
  });

  it('reports a refused connection as a transient network error', async () => {
    const closed = new FakeDownstream();
    const url = await closed.start();
    await closed.stop();
    const { instance } = client(
      { maxAttempts: 2 },
      { baseUrls: { order: url, notification: url, payment: url } },
    );
    const error = await failure(instance.send(request()));
    expect(error).toMatchObject({ transient: true, code: 'NETWORK', attempts: 2 });
  });
});
