// @ts-check
/**
 * The chapters of `npm run demo`, each a short story with the promises it
 * checks. They talk to the system only through a context (the HTTP API, the
 * charges table, the relay, the logs), so they run against any stack and are
 * unit-tested with fakes.
 */

/**
 * @typedef {Pick<import('../common/api.mjs').ApiAnswer, 'status' | 'headers' | 'body' | 'text' | 'correlationId'>} DemoAnswer
 *   what the chapters read of an answer (createApi's answers carry more)
 * @typedef {{ transactionId: string, orderId: string, userId: string }} Ids
 * @typedef {{
 *   call: (method: string, path: string, request?: import('../common/api.mjs').ApiRequest) =>
 *     Promise<DemoAnswer>,
 *   narrator: ReturnType<typeof import('./narrator.mjs').createNarrator>,
 *   ids: (label: string) => Ids,
 *   chargesFor: (transactionId: string) => Promise<number>,
 *   runRelay: (() => Promise<unknown>) | undefined,
 *   signCallback: (rawBody: string) => string,
 *   traceOf: (correlationId: string) => Promise<string[]>,
 *   amount: number,
 *   currency: string,
 * }} DemoContext
 */

/** The payment in an answer body, whichever way the service wraps it. @param {any} body */
export const paymentOf = (body) => body?.payment ?? body;
/** The outbox events in a payment answer. @param {any} body */
export const eventsOf = (body) => body?.events ?? body?.payment?.events ?? [];
/** The order in an answer body. @param {any} body */
export const orderOf = (body) => body?.order ?? body;

/** @param {DemoContext} ctx @param {Ids} ids */
const orderBody = (ctx, ids) => ({
  orderId: ids.orderId,
  userId: ids.userId,
  amount: ctx.amount,
  currency: ctx.currency,
});
/** @param {DemoContext} ctx @param {Ids} ids */
const paymentBody = (ctx, ids, amount = ctx.amount) => ({ ...ids, amount, currency: ctx.currency });

/**
 * The same JSON value, whatever the order of object keys.
 * @param {unknown} a
 * @param {unknown} b
 */
export function sameJson(a, b) {
  /** @param {unknown} v @returns {unknown} */
  const canonical = (v) =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(/** @type {Record<string, unknown>} */ (v)[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** @param {any[]} events */
const eventStates = (events) => events.map((e) => `${e.type}: ${e.status}`).join(', ') || 'none';

/**
 * Runs the relay (when this stack lets us) until `done` or `timeoutMs`.
 * @param {DemoContext} ctx
 * @param {() => Promise<boolean>} done
 * @param {number} timeoutMs
 */
async function relayUntil(ctx, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let runs = 0;
  while (Date.now() < deadline) {
    if (await done()) return { done: true, runs };
    if (ctx.runRelay) {
      await ctx.runRelay();
      runs++;
    }
    await new Promise((r) => setTimeout(r, ctx.runRelay ? 500 : 5000));
  }
  return { done: await done(), runs };
}

/**
 * 1. An order, paid: the order becomes PAID and the user is notified, in one request.
 * @param {DemoContext} ctx
 */
export async function createAndPay(ctx) {
  const { call, narrator: n } = ctx;
  const ids = ctx.ids('happy');
  n.chapter(
    'An order, and its payment',
    'A customer orders, then pays. One request to the payment service does it all.',
  );
  const order = await call('POST', '/orders', { body: orderBody(ctx, ids) });
  n.exchange(`POST /orders ${ids.orderId}`, order, `status ${orderOf(order.body)?.status}`);
  n.check(
    'a new order is created PENDING',
    order.status === 201 && orderOf(order.body)?.status === 'PENDING',
    `${order.status}`,
  );
  const paid = await call('POST', '/payments', { body: paymentBody(ctx, ids) });
  const events = eventsOf(paid.body);
  n.exchange(
    `POST /payments ${ids.transactionId} ${ctx.amount} ${ctx.currency}`,
    paid,
    `payment ${paymentOf(paid.body)?.status}; events ${eventStates(events)}`,
  );
  n.check(
    'the payment succeeds (201, SUCCEEDED)',
    paid.status === 201 && paymentOf(paid.body)?.status === 'SUCCEEDED',
    paid.status === 201 ? '' : `${paid.status} ${paid.text.slice(0, 160)}`,
  );
  n.check(
    'both effects were delivered at once',
    events.length === 2 && events.every((/** @type {any} */ e) => e.status === 'DELIVERED'),
    eventStates(events),
  );
  const after = await call('GET', `/orders/${ids.orderId}`);
  n.exchange(
    `GET /orders/${ids.orderId}`,
    after,
    `status ${orderOf(after.body)?.status}, version ${orderOf(after.body)?.version}`,
  );
  n.check(
    'the order is PAID',
    orderOf(after.body)?.status === 'PAID',
    `${orderOf(after.body)?.status}`,
  );
  const charges = await ctx.chargesFor(ids.transactionId);
  n.check('exactly one charge in the charges table', charges === 1, `${charges}`);
  return { ids, paid, body: paymentBody(ctx, ids) };
}

/**
 * 2. The same payment again: the stored answer, replayed; no second charge.
 * @param {DemoContext} ctx
 * @param {{ ids: Ids, paid: DemoAnswer, body: Record<string, unknown> }} first
 */
export async function replay(ctx, first) {
  const { call, narrator: n } = ctx;
  n.chapter(
    'The same payment, sent again',
    'A client that timed out sends the very same request again.',
  );
  const again = await call('POST', '/payments', { body: first.body });
  n.exchange(`POST /payments ${first.ids.transactionId} (same body)`, again);
  n.check(
    'the answer is replayed with Idempotent-Replayed: true',
    again.headers.get('idempotent-replayed') === 'true',
    `header ${again.headers.get('idempotent-replayed')}`,
  );
  n.check(
    'with the same status and body as the first time',
    again.status === first.paid.status && sameJson(again.body, first.paid.body),
    again.text === first.paid.text
      ? 'identical bytes'
      : sameJson(again.body, first.paid.body)
        ? 'the same JSON, its keys in another order'
        : `body differs: ${again.text.slice(0, 120)}`,
  );
  const charges = await ctx.chargesFor(first.ids.transactionId);
  n.check('still exactly one charge', charges === 1, `${charges}`);
}

/**
 * 3. The same transactionId with another amount: refused, nothing changes.
 * @param {DemoContext} ctx
 * @param {{ ids: Ids }} first
 */
export async function mismatch(ctx, first) {
  const { call, narrator: n } = ctx;
  n.chapter(
    'The same transactionId, another amount',
    'A buggy client reuses a transactionId for a different payment.',
  );
  const other = await call('POST', '/payments', {
    body: paymentBody(ctx, first.ids, ctx.amount + 1),
  });
  n.exchange(
    `POST /payments ${first.ids.transactionId} amount ${ctx.amount + 1}`,
    other,
    `${other.body?.error?.code ?? ''}`,
  );
  n.check(
    'it is refused with 422 in the error format',
    other.status === 422 && typeof other.body?.error?.code === 'string',
    `${other.status}`,
  );
  const charges = await ctx.chargesFor(first.ids.transactionId);
  n.check('and nothing was charged', charges === 1, `${charges} charge(s)`);
}

/**
 * 4. Twenty identical requests at the same moment: one charge.
 * @param {DemoContext} ctx
 */
export async function burst(ctx) {
  const { call, narrator: n } = ctx;
  const ids = ctx.ids('burst');
  n.chapter('Twenty at once', 'A retry storm: 20 identical payment requests arrive together.');
  await call('POST', '/orders', { body: orderBody(ctx, ids) });
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => call('POST', '/payments', { body: paymentBody(ctx, ids) })),
  );
  /** @type {Record<string, number>} */
  const tally = {};
  for (const a of answers) {
    const key =
      a.status === 201 && a.headers.get('idempotent-replayed') === 'true'
        ? '201 replayed'
        : String(a.status);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  n.say(`→ 20 × POST /payments ${ids.transactionId}`);
  n.say(
    `← ${Object.entries(tally)
      .map(([k, v]) => `${v} × ${k}`)
      .join(', ')}`,
  );
  const fresh = answers.filter(
    (a) => a.status === 201 && a.headers.get('idempotent-replayed') !== 'true',
  );
  const others = answers.filter((a) => !fresh.includes(a));
  n.check('exactly one request did the work', fresh.length === 1, `${fresh.length}`);
  n.check(
    'every other one was told to retry (409 + Retry-After) or got the replay',
    others.every(
      (a) =>
        (a.status === 409 && a.headers.get('retry-after') !== null) ||
        a.headers.get('idempotent-replayed') === 'true',
    ),
  );
  const charges = await ctx.chargesFor(ids.transactionId);
  n.check('exactly one charge', charges === 1, `${charges}`);
}

/**
 * 5. The order service fails: the payment is still taken once, and the relay
 *    completes the order later.
 * @param {DemoContext} ctx
 */
export async function downstreamFailure(ctx) {
  const { call, narrator: n } = ctx;
  const ids = ctx.ids('outage');
  n.chapter(
    'The order service fails for a while',
    'Fault injection makes every call to the order service answer 503 during this payment (x-fault-inject: order=status:503).',
  );
  await call('POST', '/orders', { body: orderBody(ctx, ids) });
  const paid = await call('POST', '/payments', {
    body: paymentBody(ctx, ids),
    headers: { 'x-fault-inject': 'order=status:503' },
  });
  const events = eventsOf(paid.body);
  n.exchange(
    `POST /payments ${ids.transactionId} with order=status:503`,
    paid,
    `events ${eventStates(events)}`,
  );
  n.check(
    'the payment is still taken (201)',
    paid.status === 201 && paymentOf(paid.body)?.status === 'SUCCEEDED',
    `${paid.status}`,
  );
  const orderEvent = events.find((/** @type {any} */ e) => e.type === 'order.status');
  n.check(
    'the order update is kept in the outbox, not lost',
    orderEvent?.status === 'PENDING',
    orderEvent?.status ?? 'no event',
  );
  const before = await call('GET', `/orders/${ids.orderId}`);
  n.say(
    `The order is ${orderOf(before.body)?.status} for now. The relay runs${ctx.runRelay ? ' (invoked now, as the schedule would)' : ' on its schedule'}...`,
  );
  const started = Date.now();
  const result = await relayUntil(
    ctx,
    async () => orderOf((await call('GET', `/orders/${ids.orderId}`)).body)?.status === 'PAID',
    ctx.runRelay ? 30_000 : 150_000,
  );
  const state = await call('GET', `/payments/${ids.transactionId}`);
  const delivered = eventsOf(state.body);
  n.say(
    `after ${((Date.now() - started) / 1000).toFixed(1)} s and ${result.runs} relay run(s): events ${delivered.map((/** @type {any} */ e) => `${e.type}: ${e.status} after ${e.attempts} attempt(s)`).join(', ')}`,
  );
  n.check('the relay completed the effect: the order is PAID', result.done);
  n.check(
    'every event is delivered',
    delivered.length === 2 && delivered.every((/** @type {any} */ e) => e.status === 'DELIVERED'),
    eventStates(delivered),
  );
  const charges = await ctx.chargesFor(ids.transactionId);
  n.check('one charge, whatever happened downstream', charges === 1, `${charges}`);
}

/**
 * 6. The gateway charged but its answer was lost; its callback, repeated,
 *    completes the payment once.
 * @param {DemoContext} ctx
 */
export async function callbacks(ctx) {
  const { call, narrator: n } = ctx;
  const ids = ctx.ids('callback');
  const tx = ids.transactionId;
  n.chapter(
    'The gateway loses its answer, then calls back again and again',
    'The gateway charges but its answer never arrives (x-fault-inject: gateway=timeout); its signed callback does, five times at once.',
  );
  await call('POST', '/orders', { body: orderBody(ctx, ids) });
  const lost = await call('POST', '/payments', {
    body: paymentBody(ctx, ids),
    headers: { 'x-fault-inject': 'gateway=timeout' },
  });
  n.exchange(`POST /payments ${tx} with gateway=timeout`, lost, lost.body?.error?.code ?? '');
  n.check(
    'the client is told to retry (a 5xx with Retry-After), not that it failed',
    lost.status >= 500 && lost.headers.get('retry-after') !== null,
    `${lost.status}`,
  );
  const pending = await call('GET', `/payments/${tx}`);
  n.say(
    `GET /payments/${tx}: ${paymentOf(pending.body)?.status}, charge ${pending.body?.charge?.state}`,
  );
  const rawBody = JSON.stringify({
    transactionId: tx,
    status: 'succeeded',
    gatewayReference: `sim_${tx}`,
  });
  const send = (/** @type {string} */ signature) =>
    call('POST', '/payments/callback', {
      rawBody,
      headers: { 'content-type': 'application/json', 'x-gateway-signature': signature },
    });
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => send(ctx.signCallback(rawBody))),
  );
  n.say(`→ 5 × POST /payments/callback for ${tx}, correctly signed, at once`);
  n.say(
    `← ${answers.map((a) => `${a.status} ${a.body?.confirmed ? 'confirmed' : 'already confirmed'}`).join(', ')}`,
  );
  n.check(
    'every genuine callback is accepted',
    answers.every((a) => a.status === 200),
    answers.map((a) => a.status).join(','),
  );
  // One callback confirms; under concurrency another may be the one that
  // finalizes, so `changed` can be true twice: confirmation is the promise.
  const confirmed = answers.filter((a) => a.body?.confirmed === true);
  n.check(
    'exactly one callback confirmed the charge; the others changed nothing more',
    confirmed.length === 1,
    `${confirmed.length} confirmed it`,
  );
  const forged = await send(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`);
  n.exchange(
    'POST /payments/callback with a forged signature',
    forged,
    forged.body?.error?.code ?? '',
  );
  n.check('a forged callback is refused with 401', forged.status === 401, `${forged.status}`);
  const retried = await call('POST', '/payments', { body: paymentBody(ctx, ids) });
  n.exchange(
    `POST /payments ${tx} (the client's retry)`,
    retried,
    `payment ${paymentOf(retried.body)?.status}`,
  );
  n.check(
    "the client's retry gets the completed payment",
    retried.status === 201 && paymentOf(retried.body)?.status === 'SUCCEEDED',
    `${retried.status}`,
  );
  const order = await call('GET', `/orders/${ids.orderId}`);
  n.check(
    'the order is PAID',
    orderOf(order.body)?.status === 'PAID',
    `${orderOf(order.body)?.status}`,
  );
  const charges = await ctx.chargesFor(tx);
  n.check('exactly one charge', charges === 1, `${charges}`);
  const list = await call('GET', `/notifications?userId=${encodeURIComponent(ids.userId)}`);
  const items = list.body?.items ?? [];
  const sent = items.filter((/** @type {any} */ i) => i.status === 'SENT');
  n.check(
    'the user was notified exactly once',
    sent.length === 1,
    `${sent.length} sent, ${items.length - sent.length} skipped`,
  );
}

/**
 * 7. One request, followed through every service from the logs.
 * @param {DemoContext} ctx
 * @param {{ paid: DemoAnswer }} first
 */
export async function trace(ctx, first) {
  const { narrator: n } = ctx;
  const id = first.paid.correlationId;
  n.chapter(
    'Following one request end to end',
    `The payment of chapter 1 was answered with x-correlation-id ${id}; every service logged it.`,
  );
  const lines = await ctx.traceOf(id);
  for (const line of lines) n.say(line);
  const services = new Set(
    ['payment', 'order', 'notification'].filter((s) => lines.some((l) => l.includes(` ${s}/`))),
  );
  n.check(
    'the trace crosses payment, order and notification',
    services.size === 3,
    [...services].join(', ') || 'no log lines',
  );
}

/** Every chapter, in the order the demo tells them. @param {DemoContext} ctx */
export async function runDemo(ctx) {
  const first = await createAndPay(ctx);
  await replay(ctx, first);
  await mismatch(ctx, first);
  await burst(ctx);
  await downstreamFailure(ctx);
  await callbacks(ctx);
  await trace(ctx, first);
}
