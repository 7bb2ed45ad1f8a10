import { describe, expect, it } from 'vitest';
import type { DemoAnswer as Answer } from '../../scripts/lib/proofs/demo-steps.mjs';
import * as steps from '../../scripts/lib/proofs/demo-steps.mjs';
import { createNarrator } from '../../scripts/lib/proofs/narrator.mjs';

/**
 * An in-memory stand-in for the HTTP API that keeps every promise, unless told
 * to break one: enough to show that each chapter notices a broken promise.
 */
function fakeSystem(faults: { chargeOnReplay?: boolean; noReplayHeader?: boolean } = {}) {
  const orders = new Map<string, { status: string; version: number }>();
  const payments = new Map<string, { body: string; answer: any }>();
  const charges = new Map<string, number>();
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
    status,
    headers: new Headers(headers),
    body,
    text: JSON.stringify(body),
    correlationId: 'corr-1',
  });
  const call = async (method: string, path: string, request: { body?: any } = {}) => {
    const body = request.body;
    if (method === 'POST' && path === '/orders') {
      orders.set(body.orderId, { status: 'PENDING', version: 1 });
      return answer(201, { orderId: body.orderId, status: 'PENDING', version: 1 });
    }
    if (method === 'GET' && path.startsWith('/orders/')) {
      return answer(200, orders.get(path.split('/')[2]!));
    }
    if (method === 'POST' && path === '/payments') {
      const existing = payments.get(body.transactionId);
      if (existing) {
        if (existing.body !== JSON.stringify(body)) {
          return answer(422, {
            error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'x', details: [] },
          });
        }
        if (faults.chargeOnReplay) charges.set(body.transactionId, 2);
        return answer(
          201,
          existing.answer,
          faults.noReplayHeader ? {} : { 'idempotent-replayed': 'true' },
        );
      }
      const paid = {
        ...body,
        status: 'SUCCEEDED',
        events: [
          { type: 'order.status', status: 'DELIVERED' },
          { type: 'notification.send', status: 'DELIVERED' },
        ],
      };
      payments.set(body.transactionId, { body: JSON.stringify(body), answer: paid });
      charges.set(body.transactionId, 1);
      orders.set(body.orderId, { status: 'PAID', version: 2 });
      return answer(201, paid);
    }
    return answer(404, { error: { code: 'NOT_FOUND', message: path, details: [] } });
  };
  return { call, charges };
}

function context(system: ReturnType<typeof fakeSystem>) {
  const lines: string[] = [];
  const narrator = createNarrator((line: string) => lines.push(line));
  let n = 0;
  const ctx = {
    call: system.call,
    narrator,
    ids: (label: string) => {
      n++;
      return {
        transactionId: `${label}-t${n}`,
        orderId: `${label}-o${n}`,
        userId: `${label}-u${n}`,
      };
    },
    chargesFor: async (tx: string) => system.charges.get(tx) ?? 0,
    runRelay: undefined,
    signCallback: () => 't=1,v1=00',
    traceOf: async () => [],
    amount: 125.5,
    currency: 'USD',
  };
  return { ctx, lines, narrator };
}

describe('Demo chapters', () => {
  it('keep every promise against a system that keeps them, and narrate each step', async () => {
    const { ctx, lines, narrator } = context(fakeSystem());
    const first = await steps.createAndPay(ctx);
    await steps.replay(ctx, first);
    await steps.mismatch(ctx, first);
    expect(narrator.broken()).toEqual([]);
    expect(lines.join('\n')).toMatch(/1\. An order, and its payment/);
    expect(lines.join('\n')).toMatch(/← 201 \(Idempotent-Replayed: true\)/);
    expect(lines.join('\n')).toMatch(/✔ it is refused with 422/);
    expect(narrator.summary()).toMatch(/^All \d+ promises kept\.$/);
  });

  it('report a replay that charged again and one without its header as broken', async () => {
    const { ctx, narrator } = context(fakeSystem({ chargeOnReplay: true, noReplayHeader: true }));
    const first = await steps.createAndPay(ctx);
    await steps.replay(ctx, first);
    const broken = narrator.broken().map((c: { promise: string }) => c.promise);
    expect(broken).toEqual([
      'the answer is replayed with Idempotent-Replayed: true',
      'still exactly one charge',
    ]);
    expect(narrator.summary()).toMatch(/2 of \d+ promises BROKEN/);
  });

  it('count a burst of twenty where every request did the work as broken', async () => {
    const system = fakeSystem();
    const { ctx, narrator } = context({
      ...system,
      call: async (method: string, path: string, request: { body?: any } = {}) => {
        const answer = await system.call(method, path, request);
        return path === '/payments' ? { ...answer, status: 201, headers: new Headers() } : answer;
      },
    });
    await steps.burst(ctx);
    expect(narrator.broken().map((c: { promise: string }) => c.promise)).toContain(
      'exactly one request did the work',
    );
  });
});

describe('Function: sameJson', () => {
  it('ignores the order of object keys, at any depth, but not of array items', () => {
    expect(
      steps.sameJson(
        { a: 1, b: { c: [1, { d: 2, e: 3 }] } },
        { b: { c: [1, { e: 3, d: 2 }] }, a: 1 },
      ),
    ).toBe(true);
    expect(steps.sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(steps.sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
