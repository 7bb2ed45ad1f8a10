// @ts-check
/**
 * A small client for the HTTP API as a customer (or the payment gateway)
 * calls it, used by the demo, bench and chaos scripts. Every call sends a
 * correlation id of our choosing; a public route records it as
 * `client_correlation_id` and answers with an id of its own, the one its log
 * lines carry: that is the answer's `correlationId` (docs/security.md).
 */
import { createHmac, randomUUID } from 'node:crypto';

/**
 * @typedef {{ status: number, headers: Headers, body: any, text: string, ms: number, correlationId: string, clientCorrelationId: string }} ApiAnswer
 * `correlationId` is the id the services logged the request under (the answer's
 * `x-correlation-id`; what was sent when no answer came), `clientCorrelationId` what was sent.
 */

/**
 * @typedef {{ body?: unknown, rawBody?: string, headers?: Record<string, string>, correlationId?: string }} ApiRequest
 * `body` is sent as JSON, `rawBody` as it is; `correlationId` is sent instead of a fresh one.
 */

/**
 * A caller of `baseUrl`. Network failures resolve as status 0 with the error
 * in `text`, so a chaos run counts them instead of crashing.
 * @param {string} baseUrl
 * @param {{ timeoutMs?: number }} [options]
 */
export function createApi(baseUrl, options = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  /**
   * @param {string} method
   * @param {string} path
   * @param {ApiRequest} [request]
   * @returns {Promise<ApiAnswer>}
   */
  return async function call(method, path, request = {}) {
    const clientCorrelationId = request.correlationId ?? `run-${randomUUID()}`;
    /** @type {Record<string, string>} */
    const headers = { 'x-correlation-id': clientCorrelationId, ...request.headers };
    let body = request.rawBody;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return {
        status: response.status,
        headers: response.headers,
        body: parsed,
        text,
        ms: performance.now() - started,
        correlationId: response.headers.get('x-correlation-id') ?? clientCorrelationId,
        clientCorrelationId,
      };
    } catch (error) {
      return {
        status: 0,
        headers: new Headers(),
        body: undefined,
        text: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        ms: performance.now() - started,
        correlationId: clientCorrelationId,
        clientCorrelationId,
      };
    }
  };
}

/**
 * The gateway's signature header for a callback body, Stripe style:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * @param {string} rawBody
 * @param {string} secret
 * @param {number} [unixSeconds]
 */
export function gatewaySignature(rawBody, secret, unixSeconds = Math.floor(Date.now() / 1000)) {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * Invokes the outbox relay once through serverless-offline's Lambda invoke API
 * (the scheduled function's local stand-in) and returns what it reported.
 * @param {string} lambdaUrl
 * @param {string} stage
 * `faults` (local and test stages only) makes this one run meet them, as the
 * `x-fault-inject` header does for a request.
 * @param {{ timeoutMs?: number, faults?: string }} [options]
 */
export async function invokeRelay(lambdaUrl, stage, options = {}) {
  const url = `${lambdaUrl}/2015-03-31/functions/lambda-payments-${stage}-paymentRelay/invocations`;
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(options.faults ? { faults: options.faults } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 90_000),
  });
  const text = await response.text();
  if (response.status >= 300)
    throw new Error(`relay invocation answered ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Runs `step` until `done` says so or `timeoutMs` passes; returns the last value
 * and whether it finished. For waiting on the relay without fixed sleeps.
 * @template T
 * @param {() => Promise<T>} step
 * @param {(value: T) => boolean} done
 * @param {{ timeoutMs: number, intervalMs?: number }} options
 */
export async function until(step, done, options) {
  const deadline = Date.now() + options.timeoutMs;
  let value = await step();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
    value = await step();
  }
  return { value, finished: done(value) };
}
