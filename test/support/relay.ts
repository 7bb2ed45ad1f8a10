import { inject } from 'vitest';
import { api } from './http.js';

/** The relay's answer: counts of one run. */
export interface RelayRun {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
  skipped: number;
  failed: boolean;
}

/**
 * Invokes the outbox relay once through serverless-offline's Lambda invoke
 * API, as `npm start` does; with `faults`, the run meets them as chaos's do
 * (`{ "faults": "order=status:503" }`).
 */
export async function runRelay(options: { faults?: string } = {}): Promise<RelayRun> {
  const url = `${inject('lambdaUrl')}/2015-03-31/functions/lambda-payments-test-paymentRelay/invocations`;
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(options.faults ? { faults: options.faults } : {}),
    signal: AbortSignal.timeout(90_000),
  });
  if (response.status !== 200) throw new Error(`relay invocation answered ${response.status}`);
  return (await response.json()) as RelayRun;
}

/**
 * Runs the relay until `done()` holds, or fails after `timeoutMs`; answers
 * the runs it made. Events become due after their backoff, so one run is
 * not always enough.
 */
export async function relayUntil(
  done: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<RelayRun[]> {
  const deadline = Date.now() + timeoutMs;
  const runs: RelayRun[] = [];
  while (Date.now() < deadline) {
    if (await done()) return runs;
    runs.push(await runRelay());
    if (await done()) return runs;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the relay did not reach the expected state within ${timeoutMs} ms`);
}

/** Asks the relay function to put a payment's DEAD events back to PENDING (`npm run redrive`). */
export async function redrive(
  transactionId: string,
  eventId?: string,
): Promise<{ redriven: string[]; failed: boolean }> {
  const url = `${inject('lambdaUrl')}/2015-03-31/functions/lambda-payments-test-paymentRelay/invocations`;
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ redrive: { transactionId, ...(eventId ? { eventId } : {}) } }),
    signal: AbortSignal.timeout(30_000),
  });
  return (await response.json()) as { redriven: string[]; failed: boolean };
}

/**
 * The order's status once it shows `status`, or what it shows at the
 * deadline: GET /orders is read through a short per-container cache
 * (`ORDER_CACHE_TTL_MS`), so a delivery the relay just made may show a
 * moment later.
 */
export async function orderStatus(orderId: string, status: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await api('GET', `/orders/${orderId}`);
    if (shown.body.status === status || Date.now() > deadline) return shown.body.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
