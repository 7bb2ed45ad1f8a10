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

/** An order, then a payment for it (the order must exist and match); 10.51 is declined by the simulator. */
async function pay(headers: Record<string, string> = {}, amount = 42.5) {
  const order = {
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount,
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

/** What the pulse view shows, read from the page in one go (it re-renders every 10 s). */
interface PulseOnScreen {
  outcomes: string;
  durations: string;
  backlog: string;
  /** Payments per minute, by the minute's start (ISO): succeeded, declined, voided, p50, p99. */
  minutes: Record<string, string[]>;
  /** Events PENDING and DEAD by the minute they were created. */
  backlogMinutes: Record<string, string[]>;
}

async function pulseOnScreen(): Promise<PulseOnScreen> {
  // Runs in the page (its globals, not Node's).
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    const text = (selector: string): string => doc.querySelector(selector)?.textContent ?? '';
    const rows = (selector: string): Record<string, string[]> =>
      Object.fromEntries(
        [...doc.querySelectorAll(`${selector} tbody tr`)].map((row: any) => {
          const cells: any[] = [...row.querySelectorAll('td')];
          const start = cells[0]?.querySelector('time')?.getAttribute('datetime') ?? '';
          return [start, cells.slice(1).map((cell) => cell.textContent ?? '')];
        }),
      );
    return {
      outcomes: text('#chart-outcomes-desc'),
      durations: text('#chart-duration-desc'),
      backlog: text('#chart-backlog-desc'),
      minutes: rows('#numbers-payments'),
      backlogMinutes: rows('#numbers-backlog'),
    };
  });
}

/** The numbers of a chart's description: "In the last 1 hour: 3 succeeded, 1 declined, 0 voided." */
function figures(description: string): Record<string, number> {
  return Object.fromEntries(
    [...description.matchAll(/(\d+) (succeeded|declined|voided|PENDING|DEAD|payments)/g)].map(
      (m) => [m[2], Number(m[1])],
    ),
  );
}

/** The minute an instant falls in, as the pulse's buckets start (ISO). */
const minuteOf = (iso: string) =>
  new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000).toISOString();

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
    ).toContain('payment.finalize');
    await expectAccessible();
  });

  it('opens on the pulse, and its charts count the payments and the PENDING event the test wrote', async () => {
    // The console opens on the pulse (the last hour); its numbers stay open while it refreshes.
    await page.goto(consoleUrl(''));
    await eventually(() => page.locator('main h1').textContent()).toBe('Pulse');
    expect(page.url()).toMatch(/#\/pulse$/);
    for (const id of ['numbers-payments', 'numbers-backlog'])
      await page.locator(`#${id} > summary`).click();
    const before = await pulseOnScreen();
    await expectAccessible();

    // Known payments: two succeed, two are declined (x.51), one succeeds while the order
    // answers 503, which leaves its order event PENDING (no relay runs until the end).
    const written = [
      await pay(),
      await pay({}, 10.51),
      await pay(),
      await pay({}, 10.51),
      await pay({ 'x-fault-inject': 'order=status:503' }),
    ];
    const mine: Record<string, { succeeded: number; declined: number }> = {};
    const backlogMine: Record<string, number> = {};
    let pending = 0;
    for (const { body } of written) {
      const minute = mine[minuteOf(body.createdAt)] ?? { succeeded: 0, declined: 0 };
      mine[minuteOf(body.createdAt)] = minute;
      if (body.status === 'SUCCEEDED') minute.succeeded++;
      else minute.declined++;
      const stuck = body.events.filter((e: { status: string }) => e.status === 'PENDING').length;
      pending += stuck;
      if (stuck > 0) {
        const created = minuteOf(body.finalizedAt);
        backlogMine[created] = (backlogMine[created] ?? 0) + stuck;
      }
    }
    expect(written.map((p) => p.body.status)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'SUCCEEDED',
      'FAILED',
      'SUCCEEDED',
    ]);
    expect(pending).toBeGreaterThanOrEqual(1);

    const was = figures(before.outcomes);
    const wasBacklog = figures(before.backlog);
    const wasTimed = figures(before.durations).payments ?? 0;
    // The page refreshes itself: wait until it shows them, then check every number it shows.
    let after = before;
    await eventually(async () => {
      after = await pulseOnScreen();
      return figures(after.outcomes);
    }).toEqual({ succeeded: was.succeeded! + 3, declined: was.declined! + 2, voided: was.voided });
    // Every payment has both instants: all five are timed.
    expect(figures(after.durations).payments).toBe(wasTimed + 5);
    expect(after.durations).toMatch(/p50 \d[\d,]* ms, p99 \d[\d,]* ms/);
    for (const [minute, { succeeded, declined }] of Object.entries(mine)) {
      const [s = '0', d = '0', v = '0'] = before.minutes[minute] ?? [];
      const row = after.minutes[minute];
      expect(row?.slice(0, 3), minute).toEqual([
        String(Number(s) + succeeded),
        String(Number(d) + declined),
        v,
      ]);
      // The minute's durations are drawn: p50 and p99 in ms.
      expect(row?.[3]).toMatch(/^\d[\d,]* ms$/);
      expect(row?.[4]).toMatch(/^\d[\d,]* ms$/);
    }
    expect(figures(after.backlog)).toEqual({
      PENDING: wasBacklog.PENDING! + pending,
      DEAD: wasBacklog.DEAD,
    });
    for (const [minute, stuck] of Object.entries(backlogMine)) {
      const [p = '0', d = '0'] = before.backlogMinutes[minute] ?? [];
      expect(after.backlogMinutes[minute], minute).toEqual([String(Number(p) + stuck), d]);
    }
    // The bars carry their numbers in words too.
    const outage = written[4]!;
    expect(
      await page.locator('section[aria-labelledby="pulse-outbox"] svg g title').allTextContents(),
    ).toContainEqual(expect.stringMatching(/\d+ PENDING, \d+ DEAD$/));
    await expectAccessible();

    // Once the relay delivers the order event, the backlog no longer counts it.
    await relayUntil(async () => {
      const got = await api('GET', `/payments/${outage.transactionId}`);
      return got.body.events.every((e: { status: string }) => e.status === 'DELIVERED');
    });
    await eventually(
      async () => figures((await pulseOnScreen()).backlog).PENDING,
    ).toBeLessThanOrEqual(wasBacklog.PENDING!);
  });

  it('says on the pulse when a read stopped at its cap, and draws no numbers for the minutes it may have missed', async () => {
    // The API's capping is unit-tested (test/unit/payment-pulse.test.ts); here the page is
    // given a capped answer, shaped from a real one, and must say so rather than draw it.
    const real = (await api('GET', '/pulse?window=15m')).body;
    const missed = 10;
    const buckets = real.payments.buckets.map((b: Record<string, unknown>, i: number) =>
      i < missed
        ? {
            ...b,
            complete: false,
            succeeded: null,
            declined: null,
            voided: null,
            timed: null,
            p50Ms: null,
            p99Ms: null,
          }
        : { ...b, succeeded: 7, declined: 0, voided: 0 },
    );
    const capped = {
      ...real,
      payments: { ...real.payments, capped: true, completeFrom: buckets[missed].start, buckets },
    };
    const pulseRoute = (url: URL) => url.pathname === '/pulse';
    await page.route(pulseRoute, (route) => route.fulfill({ json: capped }));
    try {
      await page.goto(consoleUrl('#/pulse?window=15m'));
      await page
        .getByRole('link', { name: 'Last 15 min' })
        .and(page.locator('[aria-current="page"]'))
        .waitFor();
      const note = page.getByRole('note');
      await expect
        .poll(() => note.textContent())
        .toMatch(/More than 20\D?000 payments in this window: the read stopped at its cap\./);
      const outcomes = page.getByRole('img', { name: /^Payments per minute by outcome/ });
      const gaps = await outcomes.locator('rect.gap title').allTextContents();
      expect(gaps).toHaveLength(missed);
      for (const gap of gaps) expect(gap).toMatch(/not counted \(the read stopped at its cap\)$/);
      // The counted minutes are drawn, each bar with its number in words.
      const bars = await outcomes.locator('g > title').allTextContents();
      expect(bars).toHaveLength(15 - missed);
      for (const bar of bars) expect(bar).toMatch(/: 7 succeeded, 0 declined, 0 voided$/);
      await page.locator('#numbers-payments > summary').click();
      const rows = await pulseOnScreen();
      expect(Object.keys(rows.minutes).sort()).toEqual(
        buckets.slice(missed).map((b: { start: string }) => b.start),
      );
      await expectAccessible();
    } finally {
      await page.unroute(pulseRoute);
    }
  });
});
