import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, launchBrowser } from '../support/browser.js';
import { api, uniqueId } from '../support/http.js';
import { relayUntil } from '../support/relay.js';

// The operations console in a real Chromium, against the e2e stack: what an
// on-call engineer sees and does, and that a screen reader and a keyboard can too.

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  context = browser.context;
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await browser?.close();
});

/** An order, then a payment for it (the order must exist and match). */
async function pay(headers: Record<string, string> = {}) {
  const order = {
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: 42.5,
    currency: 'USD',
  };
  expect((await api('POST', '/orders', { body: order })).status).toBe(201);
  const payment = { transactionId: uniqueId('tx'), ...order };
  const paid = await api('POST', '/payments', { body: payment, headers });
  expect(paid.status).toBe(201);
  return { ...payment, correlationId: paid.body.correlationId as string, body: paid.body };
}

const consoleUrl = (hash: string) => `${inject('baseUrl')}/console${hash}`;
/** The row of one event type in the payment view's events table. */
const eventRow = (type: string) =>
  page
    .getByRole('table', { name: 'Downstream effects of this payment' })
    .getByRole('row')
    .filter({ hasText: type });

/** Polls like the page does: up to 30 s (a loaded machine is slow, the page is not wrong). */
const eventually = <T>(read: () => Promise<T>) =>
  expect.poll(read, { timeout: 30_000, interval: 250 });

/** Opens a payment's page and waits until it shows that payment (not the previous page). */
async function openPayment(transactionId: string) {
  await page.goto(consoleUrl(`#/payments/${transactionId}`));
  await eventually(() => page.locator('main h1').textContent()).toBe(`Payment ${transactionId}`);
}

async function expectAccessible() {
  expect(await axeViolations(page)).toEqual([]);
}

describe('The operations console', () => {
  it('lists a new payment as it arrives, and its page shows both events DELIVERED', async () => {
    await page.goto(consoleUrl('#/payments'));
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Payments');
    const payment = await pay();
    // The list polls: the payment appears without a reload.
    const row = page.getByRole('link', { name: payment.transactionId });
    await row.waitFor();
    await expectAccessible();

    // Keyboard only: focus the link and follow it.
    await row.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Payment ${payment.transactionId}` }).waitFor();
    // Delivered by the fast path; on a loaded machine by the relay (which then has nothing to do otherwise).
    await relayUntil(async () => {
      const rows = [
        await eventRow('order.status').textContent(),
        await eventRow('notification.send').textContent(),
      ];
      return rows.every((text) => text?.includes('DELIVERED'));
    });
    await expectAccessible();

    // The search box is labelled and works from the keyboard: an order id opens the order.
    await page.getByLabel('Find a transaction, order or user id').fill(payment.orderId);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Order ${payment.orderId}` }).waitFor();
    expect(await page.getByRole('table', { name: /Order history/ }).textContent()).toContain(
      'PAID',
    );
  });

  it('shows an event PENDING while order answers 503, then DELIVERED once the relay delivers it', async () => {
    const payment = await pay({ 'x-fault-inject': 'order=status:503' });
    await openPayment(payment.transactionId);
    await eventually(() => eventRow('order.status').textContent()).toContain('PENDING');
    // The relay runs without the request's fault; the page, polling, follows it.
    await relayUntil(async () =>
      ((await eventRow('order.status').textContent()) ?? '').includes('DELIVERED'),
    );
    await page.getByRole('heading', { name: /^Order / }).waitFor();
    await expect
      .poll(() => page.getByRole('region', { name: /^Order / }).textContent())
      .toContain('PAID');
  });

  it('re-drives a DEAD event from its button until the order is PAID', async () => {
    // 409 is permanent: the fast path parks the order event as DEAD at once.
    const payment = await pay({ 'x-fault-inject': 'order=status:409' });
    // The outbox view lists it among the DEAD, with its own Re-drive button.
    await page.goto(consoleUrl('#/outbox'));
    const deadRow = page
      .getByRole('table', { name: 'Events parked as DEAD' })
      .getByRole('row')
      .filter({ hasText: payment.transactionId });
    await deadRow.getByRole('button', { name: /^Re-drive order\.status event/ }).waitFor();
    await expectAccessible();

    await openPayment(payment.transactionId);
    await eventually(() => eventRow('order.status').textContent()).toContain('DEAD');
    await expectAccessible();
    const redrive = eventRow('order.status').getByRole('button', {
      name: /^Re-drive order\.status event/,
    });
    await redrive.focus();
    await page.keyboard.press('Enter');
    await eventually(() => eventRow('order.status').textContent()).toMatch(/PENDING|DELIVERED/);
    await relayUntil(async () =>
      ((await eventRow('order.status').textContent()) ?? '').includes('DELIVERED'),
    );
    expect((await api('GET', `/orders/${payment.orderId}`)).body.status).toBe('PAID');
    await expect
      .poll(() => page.getByRole('region', { name: /^Order / }).textContent())
      .toContain('PAID');
  });

  it('flags on the timeline the call whose 422 parked the event DEAD, and never calls it a success', async () => {
    // A 422 is permanent: the fast path parks the order event as DEAD at once.
    const payment = await pay({ 'x-fault-inject': 'order=status:422' });
    await openPayment(payment.transactionId);
    await eventually(() => eventRow('order.status').textContent()).toContain('DEAD');
    expect(await eventRow('order.status').textContent()).toContain('answered 422');
    await page.getByRole('link', { name: 'Open this request\u2019s timeline' }).click();
    await eventually(() => page.locator('main h1').textContent()).toBe(
      `Request ${payment.correlationId}`,
    );
    const call = page
      .getByRole('table', { name: /log lines, in time order/ })
      .getByRole('row')
      .filter({ hasText: 'http.call' })
      .filter({ hasText: 'status 422' });
    await eventually(() => call.count()).toBe(1);
    const eventId = payment.body.events.find(
      (e: { type: string }) => e.type === 'order.status',
    )?.eventId;
    expect(eventId).toBeTruthy();
    const outcome = call.getByRole('cell').nth(4);
    expect(await outcome.textContent()).toBe(`refused 422: parked event ${eventId} DEAD`);
    expect(await outcome.locator('.badge').getAttribute('class')).toContain('tone-bad');
    // On the payment lane too, in words, not only in red.
    await expect
      .poll(() =>
        page
          .getByRole('list', { name: 'payment', exact: true })
          .getByRole('listitem')
          .filter({ hasText: `parked event ${eventId} DEAD` })
          .count(),
      )
      .toBe(1);
    await expectAccessible();
  });

  it('lays out a payment request on a timeline with payment, order and notification lanes', async () => {
    const payment = await pay();
    await openPayment(payment.transactionId);
    await page.getByRole('link', { name: 'Open this request\u2019s timeline' }).click();
    await eventually(() => page.locator('main h1').textContent()).toBe(
      `Request ${payment.correlationId}`,
    );
    for (const service of ['payment', 'order', 'notification']) {
      const lane = page.getByRole('list', { name: service, exact: true });
      await expect
        .poll(() => lane.getByRole('listitem').count(), { timeout: 15_000 })
        .toBeGreaterThan(0);
    }
    expect(
      await page.getByRole('table', { name: /log lines, in time order/ }).textContent(),
    ).toContain('payment.charge');
    await expectAccessible();
  });
});
