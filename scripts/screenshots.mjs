#!/usr/bin/env node
// @ts-check
/**
 * `npm run screenshots`: pictures of every console view for docs/ (docs/console-*.png).
 * Starts its own stack (test stage, free ports, a temporary log file), makes
 * a few payments (delivered, declined, one parked DEAD, one waiting on a 503),
 * and photographs each view in headless Chromium (CHROME_PATH, default
 * /usr/bin/chromium). Not part of `npm test`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROME_ARGS, CHROME_PATH, chromiumProblem } from './lib/ops/chromium.mjs';
import { ensureDevKeys } from './lib/stack/keys.mjs';
import { freePort } from './lib/stack/process.mjs';
import { startStack } from './lib/stack/stack.mjs';

// Before the stack: a machine without the browser learns it at once.
const missingBrowser = chromiumProblem();
if (missingBrowser) {
  console.error(missingBrowser);
  process.exit(1);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'console-shots-'));

const stack = await startStack({
  stage: 'test',
  httpPort: await freePort(),
  lambdaPort: await freePort(),
  logFile: path.join(work, 'offline.log'),
  env: await ensureDevKeys(path.join(work, 'keys')),
  timeoutMs: 300_000,
});
const base = stack.offline.baseUrl;
const stamp = Date.now().toString(36);
let browser;

/** @param {string} method @param {string} route @param {unknown} [body] @param {Record<string,string>} [headers] */
async function call(method, route, body, headers = {}) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = await response.json();
  if (!response.ok)
    throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** An order, then its payment. @param {string} name @param {number} amount @param {Record<string,string>} [headers] */
async function pay(name, amount, headers) {
  const order = {
    orderId: `order-${name}-${stamp}`,
    userId: `user-${name}-${stamp}`,
    amount,
    currency: 'EUR',
  };
  await call('POST', '/orders', order);
  return call('POST', '/payments', { transactionId: `tx-${name}-${stamp}`, ...order }, headers);
}

/** Runs the outbox relay once (as `npm start` does on its timer). */
async function relay() {
  const url = `${stack.offline.lambdaUrl}/2015-03-31/functions/lambda-payments-test-paymentRelay/invocations`;
  await (
    await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(90_000) })
  ).text();
}

/** Polls a payment until `done(events)` (by status per type), running the relay if asked. */
async function until(
  /** @type {string} */ transactionId,
  /** @type {(s: Record<string,string>) => boolean} */ done,
  useRelay = false,
) {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const payment = await call('GET', `/payments/${transactionId}`);
    const states = Object.fromEntries(
      payment.events.map((/** @type {any} */ e) => [e.type, e.status]),
    );
    if (done(states)) return;
    if (useRelay) await relay();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${transactionId} did not reach the expected state`);
}

try {
  const ok = await pay('ok', 125.5);
  await pay('book', 18);
  await pay('declined', 10.51);
  const dead = await pay('dead', 42, { 'x-fault-inject': 'order=status:409' });
  await pay('retry', 99.9, { 'x-fault-inject': 'order=status:503' });
  // On a busy machine the fast path may not finish: the relay then does (for the pictures' sake).
  await until(
    ok.transactionId,
    (s) => s['order.status'] === 'DELIVERED' && s['notification.send'] === 'DELIVERED',
    true,
  );
  await until(dead.transactionId, (s) => s['order.status'] === 'DEAD', true);

  const profile = path.join(work, 'profile');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROME_PATH,
    headless: true,
    args: CHROME_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  /** @param {string} hash @param {string} name @param {string} ready text that says the view is drawn */
  const shoot = async (hash, name, ready) => {
    await page.goto(`${base}/console${hash}`);
    // A cold function on a busy machine can take a while: wait generously.
    await page.getByText(ready).first().waitFor({ timeout: 120_000 });
    await page.waitForFunction(
      () => document.getElementById('view')?.getAttribute('aria-busy') === 'false',
    );
    const file = path.join(root, 'docs', `console-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  };
  await shoot('#/pulse', 'pulse', 'Payments per minute by outcome');
  await shoot('#/payments', 'payments', `tx-retry-${stamp}`);
  await shoot(`#/payments/${ok.transactionId}`, 'payment', 'Outbox events');
  await shoot(`#/payments/${dead.transactionId}`, 'payment-dead', 'Re-drive');
  await shoot('#/outbox', 'outbox', 'DEAD events');
  await shoot(`#/orders/${ok.orderId}`, 'order', 'History');
  await shoot(`#/trace/${ok.correlationId}`, 'timeline', 'Waterfall');
} finally {
  await browser?.close();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}
