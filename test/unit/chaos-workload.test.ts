import { describe, expect, it } from 'vitest';
import type { ApiAnswer } from '../../scripts/lib/common/api.mjs';
import type { PlannedPayment as Planned } from '../../scripts/lib/proofs/chaos-run.mjs';
import * as chaos from '../../scripts/lib/proofs/chaos-run.mjs';

const { FAULT_MIX, isLambdaTimeout, payUntilFinal, planWorkload, seededRandom } = chaos;

const plan = (overrides: Record<string, unknown> = {}) =>
  planWorkload({
    n: 2000,
    prefix: 'run1',
    random: seededRandom(42),
    dupRate: 0.3,
    faultRate: 0.3,
    declineRate: 0.2,
    declinedAmount: 20.51,
    approvedAmount: 20.25,
    ...overrides,
  });

describe('Function: planWorkload', () => {
  it('plans exactly n requests over unique transactionIds, some sent 2 to 4 times at once', () => {
    const payments: Planned[] = plan();
    expect(payments.reduce((sum, p) => sum + p.copies.length, 0)).toBe(2000);
    expect(new Set(payments.map((p) => p.transactionId)).size).toBe(payments.length);
    const duplicated = payments.filter((p) => p.copies.length > 1);
    expect(duplicated.length / payments.length).toBeGreaterThan(0.2);
    expect(Math.max(...payments.map((p) => p.copies.length))).toBeLessThanOrEqual(4);
  });

  it('injects faults from the mix at about the asked rate, and declines about the asked share', () => {
    const payments: Planned[] = plan();
    const copies = payments.flatMap((p) => p.copies);
    const faulted = copies.filter((f) => f !== '');
    expect(faulted.length / copies.length).toBeGreaterThan(0.25);
    expect(faulted.length / copies.length).toBeLessThan(0.35);
    const known = new Set(FAULT_MIX.map(([fault]: readonly [string, number]) => fault));
    expect(faulted.every((f) => known.has(f))).toBe(true);
    const declined = payments.filter((p) => p.declined);
    expect(declined.length / payments.length).toBeGreaterThan(0.15);
    expect(declined.every((p) => p.amount === 20.51)).toBe(true);
  });

  it('is the same plan for the same seed, and ids all carry the run prefix', () => {
    expect(plan()).toEqual(plan());
    expect(plan({ random: seededRandom(7) })).not.toEqual(plan());
    const payments: Planned[] = plan({ n: 10 });
    expect(
      payments.every((p) => p.transactionId.startsWith('run1-') && p.userId.startsWith('run1-')),
    ).toBe(true);
  });

  it('sends everything clean when the rates are zero', () => {
    const payments: Planned[] = plan({ dupRate: 0, faultRate: 0, declineRate: 0, n: 50 });
    expect(payments).toHaveLength(50);
    expect(payments.every((p) => p.copies.length === 1 && p.copies[0] === '' && !p.declined)).toBe(
      true,
    );
  });
});

describe('Function: payUntilFinal', () => {
  const answer = (status: number, headers: Record<string, string> = {}, code?: string) =>
    ({
      status,
      headers: new Headers(headers),
      body:
        status === 409
          ? { error: { code: code ?? 'IDEMPOTENCY_IN_PROGRESS' } }
          : { status: 'SUCCEEDED' },
      text: '',
    }) as ApiAnswer;

  it('retries after a crash and a 409 without the fault, until a final answer', async () => {
    const sent: (Record<string, string> | undefined)[] = [];
    const script = [answer(500), answer(409, { 'retry-after': '0' }), answer(201)];
    const call = async (_m: string, _p: string, request: { headers?: Record<string, string> }) => {
      sent.push(request.headers);
      return script.shift()!;
    };
    const result = await payUntilFinal(call, { transactionId: 't' }, 'payment=crash-after-charge', {
      maxAttempts: 5,
      random: () => 0,
    });
    expect(result.statuses).toEqual([500, 409, 201]);
    expect(sent).toEqual([
      { 'x-fault-inject': 'payment=crash-after-charge' },
      undefined,
      undefined,
    ]);
  });

  it("retries serverless-offline's function timeout, an HTTP 200 that is no answer", async () => {
    const timedOut = { ...answer(200), body: { errorType: 'LambdaTimeoutError' } };
    expect(isLambdaTimeout(timedOut)).toBe(true);
    expect(isLambdaTimeout(answer(200))).toBe(false);
    const script = [timedOut, answer(201)];
    const result = await payUntilFinal(async () => script.shift()!, {}, '', {
      maxAttempts: 5,
      random: () => 0,
    });
    expect(result.statuses).toEqual([200, 201]);
    expect(result.timeouts).toBe(1);
  });

  it('does not retry a 4xx other than 409, and stops after maxAttempts', async () => {
    const call422 = async () => answer(422);
    expect(
      (await payUntilFinal(call422, {}, '', { maxAttempts: 5, random: () => 0 })).statuses,
    ).toEqual([422]);
    const call503 = async () => answer(503, { 'retry-after': '0' });
    expect(
      (await payUntilFinal(call503, {}, '', { maxAttempts: 3, random: () => 0 })).statuses,
    ).toEqual([503, 503, 503]);
  });

  it('keeps retrying a 409 until the in-progress horizon has passed, not for a fixed count', async () => {
    let calls = 0;
    const call409 = async () => {
      calls += 1;
      return calls < 8 ? answer(409, { 'retry-after': '0' }) : answer(201);
    };
    const result = await payUntilFinal(call409, {}, '', {
      maxAttempts: 3,
      random: () => 0,
      inProgressWaitMs: 60_000,
    });
    expect(result.statuses).toEqual([409, 409, 409, 409, 409, 409, 409, 201]);

    const forever409 = async () => answer(409, { 'retry-after': '0' });
    const givenUp = await payUntilFinal(forever409, {}, '', {
      maxAttempts: 3,
      random: () => 0,
      inProgressWaitMs: 0,
    });
    expect(givenUp.answer.status).toBe(409);
  });

  it('waits out another payment holding the order, and takes ORDER_NOT_PAYABLE as final', async () => {
    const script = [
      answer(409, { 'retry-after': '0' }, 'ORDER_PAYMENT_IN_PROGRESS'),
      answer(409, {}, 'ORDER_NOT_PAYABLE'),
      answer(201),
    ];
    const result = await payUntilFinal(async () => script.shift()!, {}, '', {
      maxAttempts: 5,
      random: () => 0,
    });
    expect(result.statuses).toEqual([409, 409]);
    expect(result.answer.body.error.code).toBe('ORDER_NOT_PAYABLE');
  });
});
