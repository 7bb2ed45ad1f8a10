// @ts-check
/**
 * Load through autocannon: a fixed number of connections, each request's body
 * made fresh (a payment needs its own transactionId), every response's
 * latency recorded so percentiles come from exact samples.
 */
// @ts-expect-error autocannon ships no types (a dev tool of the bench only)
import autocannon from 'autocannon';
import { percentile } from '../common/report.mjs';

/**
 * @typedef {{
 *   requests: number, ok: number, seconds: number, rps: number,
 *   p50: number, p99: number, statuses: Record<string, number>, errors: number,
 * }} LoadResult
 */

/**
 * Runs one load phase. Throughput counts only the expected status (201 by
 * default): a fast error is not work done, and serverless-offline answers a
 * function timeout with HTTP 200.
 * @param {{
 *   url: string, method?: 'GET' | 'POST' | 'PUT', connections: number,
 *   durationSeconds?: number, amount?: number,
 *   body?: () => unknown, headers?: Record<string, string>, expectStatus?: number,
 * }} options
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(options) {
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  const makeBody = options.body;
  const instance = autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds ?? 10 }),
    timeout: 30,
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (/** @type {any} */ request) =>
          makeBody ? { ...request, body: JSON.stringify(makeBody()) } : request,
      },
    ],
  });
  instance.on(
    'response',
    (
      /** @type {unknown} */ _client,
      /** @type {number} */ statusCode,
      /** @type {number} */ _bytes,
      /** @type {number} */ responseTime,
    ) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode === (options.expectStatus ?? 201)) latencies.push(responseTime);
    },
  );
  const result = await instance;
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  const seconds = result.duration;
  return {
    requests,
    ok: latencies.length,
    seconds,
    rps: seconds > 0 ? latencies.length / seconds : Number.NaN,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    errors: result.errors,
  };
}

/**
 * Each function's invocation durations, from serverless-offline's own report
 * lines (`(λ: paymentCreate) RequestId: … Duration: 12.34 ms …`): where the
 * time of a flow goes, function by function.
 * @param {string} text offline's output
 * @returns {Map<string, number[]>}
 */
export function lambdaDurations(text) {
  /** @type {Map<string, number[]>} */
  const durations = new Map();
  for (const match of text.matchAll(/\(λ: ([\w-]+)\) RequestId: \S+\s+Duration: ([\d.]+) ms/g)) {
    const [, name = '', ms = ''] = match;
    const list = durations.get(name);
    if (list) list.push(Number(ms));
    else durations.set(name, [Number(ms)]);
  }
  return durations;
}
