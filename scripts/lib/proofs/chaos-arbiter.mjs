// @ts-check
/**
 * The chaos run's order scenarios (docs/design.md step 1b: the order is the
 * arbiter): payments for orders that do not exist or do not match (nothing
 * charged), two transactionIds racing for one order (one charge), a decline
 * followed by a new payment (PAID), and an order service that answers 503 for
 * a while, to its fast path and to the relay alike (no event DEAD, all PAID
 * after it), a stranger who reuses a paid transactionId (public: the order's
 * `paidBy`) with another order's public details (refused before that order is
 * asked: it stays free for its owner), and, when `slowHolder` is set, a
 * gateway slower than the function: the holder's call lands after its lease,
 * while a second payment and the holder's own retry race for the order (the
 * gateway's ledger must show one success). Each client retries like a real
 * one until it has a final answer.
 */
import { invokeRelay } from '../common/api.mjs';

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** The order hold's lease (lib/order/payment-hold.ts DEFAULT_HOLD_LEASE_MS). */
const HOLD_LEASE_MS = 60_000;

/**
 * @typedef {import('./invariants.mjs').ExpectedPayment} ExpectedPayment
 * @typedef {import('./invariants.mjs').Violation} Violation
 * @typedef {(body: Record<string, unknown>, fault: string) => Promise<{ answer: any, statuses: number[] }>} Pay
 */

/**
 * Runs `count` of each scenario. `expected` lists the payments that must be
 * charged (checked with the run's invariants); `uncharged` those that must not be.
 * @param {{
 *   call: ReturnType<typeof import('../common/api.mjs').createApi>, pay: Pay, prefix: string,
 *   count: number, outageMs: number, lambdaUrl?: string, stage: string,
 *   slowHolder?: boolean, log: (line: string) => void,
 * }} options
 */
export async function runArbiterScenarios(options) {
  const { call, pay, prefix, count, log } = options;
  /** @type {ExpectedPayment[]} */
  const expected = [];
  /** @type {string[]} */
  const uncharged = [];
  /** @type {Violation[]} */
  const violations = [];
  /** @type {Record<string, number>} */
  const tally = {};
  const note = (/** @type {string} */ what) => {
    tally[what] = (tally[what] ?? 0) + 1;
  };
  const fail = (/** @type {string} */ id, /** @type {string} */ detail) =>
    violations.push({ invariant: 'the order decides', id, detail });
  const order = async (/** @type {string} */ orderId, /** @type {number} */ amount) => {
    const body = { orderId, userId: `${orderId}-u`, amount, currency: 'USD' };
    for (let attempt = 1; attempt <= 5; attempt++) {
      const answer = await call('POST', '/orders', { body });
      if (answer.status === 201 || answer.status === 200) return body;
      await sleep(200 * attempt);
    }
    throw new Error(`could not create order ${orderId}`);
  };
  const expectRefusal = (
    /** @type {string} */ id,
    /** @type {{ answer: any }} */ result,
    /** @type {number} */ status,
    /** @type {string} */ code,
  ) => {
    const got = `${result.answer.status} ${result.answer.body?.error?.code ?? ''}`.trim();
    if (got !== `${status} ${code}`) fail(id, `answered ${got}, want ${status} ${code}`);
  };

  log(
    `Order scenarios: ${count} of each (missing, mismatched, racing, stranger, declined then paid, outage${options.slowHolder ? ', slow holder' : ''})...`,
  );
  // The slow holders wait out their lease while the other scenarios run.
  const slow = options.slowHolder
    ? Array.from({ length: count }, (_v, i) => slowHolder(`${prefix}-arb-${i}`))
    : [];

  /**
   * A's gateway call lands after A's lease; B pays the order once the lease
   * is over, and A's plain retry follows B by 20 ms. Whoever wins, the
   * gateway's ledger shows one success for the order (invariant 8).
   * @param {string} base
   */
  async function slowHolder(base) {
    const held = await order(`${base}-slow-o`, 20.25);
    const a = { ...held, transactionId: `${base}-slow-a` };
    const b = { ...held, transactionId: `${base}-slow-b` };
    const heldAt = Date.now();
    const first = await call('POST', '/payments', {
      body: a,
      headers: { 'x-fault-inject': `gateway=lag:${HOLD_LEASE_MS + 10_000}` },
    });
    const code = first.body?.error?.code;
    if (first.status !== 503 || code !== 'OUTCOME_UNKNOWN') {
      fail(a.transactionId, `the function's deadline answered ${first.status} ${code ?? ''}`);
    }
    // The rule under test is time-based: the lease must be over.
    await sleep(Math.max(0, heldAt + HOLD_LEASE_MS + 1000 - Date.now()));
    const [rb, ra] = await Promise.all([pay(b, ''), sleep(20).then(() => pay(a, ''))]);
    for (const [p, r] of /** @type {const} */ ([
      [a, ra],
      [b, rb],
    ])) {
      const status = r.answer.body?.status;
      if (r.answer.status === 201 && (status === 'SUCCEEDED' || status === 'FAILED')) {
        expected.push(p);
        note(
          `slow holder: ${p === a ? 'A' : 'B'} ${status === 'FAILED' ? `failed (${r.answer.body?.failureReason})` : 'succeeded'}`,
        );
      } else if (r.answer.status === 409 && r.answer.body?.error?.code === 'ORDER_NOT_PAYABLE') {
        uncharged.push(p.transactionId);
      } else {
        fail(p.transactionId, `answered ${r.answer.status} ${r.answer.body?.error?.code ?? ''}`);
      }
    }
  }

  const outageOrders = [];
  for (let i = 0; i < count; i++) {
    const base = `${prefix}-arb-${i}`;

    // A payment for an order that does not exist: 422, nothing charged.
    const missing = {
      transactionId: `${base}-missing-t`,
      orderId: `${base}-missing-o`,
      userId: `${base}-missing-o-u`,
      amount: 20.25,
      currency: 'USD',
    };
    expectRefusal(missing.transactionId, await pay(missing, ''), 422, 'ORDER_NOT_FOUND');
    uncharged.push(missing.transactionId);
    note('missing order refused');

    // A payment that does not match its order: 422, nothing charged, the order stays payable.
    const mismatched = await order(`${base}-mismatch-o`, 20.25);
    const wrong = { ...mismatched, transactionId: `${base}-mismatch-t`, amount: 0.25 };
    expectRefusal(wrong.transactionId, await pay(wrong, ''), 422, 'ORDER_MISMATCH');
    uncharged.push(wrong.transactionId);
    note('mismatched payment refused');

    // Two transactionIds racing for one order: one charge; the other is told it is paid.
    const raced = await order(`${base}-race-o`, 20.25);
    const racers = [`${base}-race-a`, `${base}-race-b`].map((transactionId) => ({
      ...raced,
      transactionId,
    }));
    const results = await Promise.all(racers.map((r) => pay(r, 'gateway=delay:300')));
    const winners = racers.filter((_r, k) => results[k]?.answer.status === 201);
    if (winners.length !== 1) {
      fail(raced.orderId, `${winners.length} of 2 racing payments answered 201`);
    }
    racers.forEach((racer, k) => {
      const result = results[k];
      if (!result) return;
      if (winners.includes(racer)) {
        expected.push(racer);
      } else {
        expectRefusal(racer.transactionId, result, 409, 'ORDER_NOT_PAYABLE');
        uncharged.push(racer.transactionId);
      }
    });
    note('race with one winner');

    // A stranger reuses the winner's transactionId (public: the order's paidBy)
    // with another order's public details: refused before that order is asked,
    // which stays free: its owner pays it at once.
    const winner = winners[0];
    if (winner) {
      const target = await order(`${base}-stranger-o`, 20.25);
      const reused = await call('POST', '/payments', {
        body: { ...target, transactionId: winner.transactionId },
      });
      if (reused.status !== 422) {
        fail(target.orderId, `a reused transactionId answered ${reused.status}`);
      }
      const owner = { ...target, transactionId: `${base}-stranger-owner` };
      const paidByOwner = await pay(owner, '');
      if (paidByOwner.answer.body?.status !== 'SUCCEEDED') {
        fail(
          owner.transactionId,
          `the owner after a stranger answered ${paidByOwner.answer.status}`,
        );
      }
      expected.push(owner);
      note('stranger refused, order left free');
    }

    // Declined, then paid by a new transactionId with the order's own amount.
    const declinedOrder = await order(`${base}-decline-o`, 20.25);
    const first = { ...declinedOrder, transactionId: `${base}-decline-t1` };
    const second = { ...declinedOrder, transactionId: `${base}-decline-t2` };
    const declined = await pay(first, 'gateway=decline');
    if (declined.answer.body?.status !== 'FAILED') fail(first.transactionId, 'was not declined');
    const paid = await pay(second, '');
    if (paid.answer.body?.status !== 'SUCCEEDED') {
      fail(second.transactionId, `retry after a decline answered ${paid.answer.status}`);
    }
    expected.push(first, second);
    note('declined then paid');

    // Paid while the order is down: the effects wait for it.
    const down = await order(`${base}-outage-o`, 20.25);
    const during = { ...down, transactionId: `${base}-outage-t` };
    const result = await pay(during, 'order=status:503');
    if (result.answer.status !== 201)
      fail(during.transactionId, `answered ${result.answer.status}`);
    expected.push(during);
    outageOrders.push(during);
  }

  // The outage goes on: every relay run meets the same 503 (breaker and all) until it ends.
  if (options.lambdaUrl && options.outageMs > 0) {
    const until = Date.now() + options.outageMs;
    let runs = 0;
    while (Date.now() < until) {
      await invokeRelay(options.lambdaUrl, options.stage, { faults: 'order=status:503' }).catch(
        () => undefined,
      );
      runs++;
      await sleep(500);
    }
    log(`  order outage of ${(options.outageMs / 1000).toFixed(0)} s: ${runs} relay runs met it`);
    tally['relay runs during the outage'] = runs;
  }
  await Promise.all(slow);
  return { expected, uncharged, violations, tally };
}
