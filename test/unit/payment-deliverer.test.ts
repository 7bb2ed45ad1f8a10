import { describe, expect, it } from 'vitest';
import { createEventDeliverer } from '../../lib/payment/outbox/deliverer.js';
import { outboxEventsFor } from '../../lib/payment/outbox/events.js';
import type { Payment } from '../../lib/payment/types.js';
import {
  DownstreamError,
  type InternalClient,
  type InternalRequest,
} from '../../lib/shared/internal-client.js';

const payment: Payment = {
  transactionId: 'tx-1',
  orderId: 'order-1',
  userId: 'user-1',
  amountMinor: 12550,
  currency: 'USD',
  status: 'SUCCEEDED',
  gatewayReference: 'sim_tx-1',
  correlationId: 'corr-00000001',
  createdAt: '2026-01-01T00:00:00.000Z',
  finalizedAt: '2026-01-01T00:00:01.000Z',
};
const [orderEvent, notificationEvent] = outboxEventsFor(payment, new Date('2026-01-01T00:00:01Z'));

function clientAnswering(answer: () => Promise<{ status: number; body?: unknown }>) {
  const sent: InternalRequest[] = [];
  const client: InternalClient = {
    send: async (request) => {
      sent.push(request);
      const { status, body } = await answer();
      return { status, body: body ?? {}, attempts: 1 };
    },
  };
  return { client, sent };
}

describe('Function: createEventDeliverer', () => {
  it('sends the order event as PUT /orders/{orderId}/status with the eventId as idempotency key', async () => {
    const { client, sent } = clientAnswering(async () => ({ status: 200 }));
    const outcome = await createEventDeliverer(client)(orderEvent!);
    expect(outcome).toEqual({ outcome: 'delivered', status: 200 });
    expect(sent[0]).toMatchObject({
      service: 'order',
      method: 'PUT',
      path: '/orders/order-1/status',
      body: { status: 'PAID', eventId: orderEvent!.eventId, transactionId: 'tx-1' },
      idempotencyKey: orderEvent!.eventId,
      correlationId: 'corr-00000001',
    });
  });

  it('sends the notification event as POST /notifications with a message naming the payment', async () => {
    const { client, sent } = clientAnswering(async () => ({ status: 201 }));
    await createEventDeliverer(client)(notificationEvent!);
    expect(sent[0]).toMatchObject({
      service: 'notification',
      method: 'POST',
      path: '/notifications',
    });
    expect(sent[0]?.body).toMatchObject({ userId: 'user-1', eventId: notificationEvent!.eventId });
    expect((sent[0]?.body as { message?: string } | undefined)?.message).toContain('tx-1');
  });

  it('passes the request faults on to the client', async () => {
    const { client, sent } = clientAnswering(async () => ({ status: 200 }));
    const faults = [{ target: 'order', kind: 'status', value: 503 }];
    await createEventDeliverer(client, { faults })(orderEvent!);
    expect(sent[0]?.faults).toEqual(faults);
  });

  it.each([400, 409, 422])(
    'parks the event as dead when our own contract refuses it for good (%i)',
    async (status) => {
      const { client } = clientAnswering(async () => ({ status }));
      expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({ outcome: 'dead' });
    },
  );

  it.each([401, 403])(
    'retries a %i as an auth failure (keys rotate and recover)',
    async (status) => {
      const { client } = clientAnswering(async () => ({ status }));
      expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({
        outcome: 'retry',
        reason: 'auth',
      });
    },
  );

  it('retries a 404: the resource may yet appear', async () => {
    const { client } = clientAnswering(async () => ({ status: 404 }));
    expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({
      outcome: 'retry',
      reason: 'transient',
    });
  });

  it('retries a duplicate that is still in progress (409 *_IN_PROGRESS), never dead', async () => {
    const { client } = clientAnswering(async () => ({
      status: 409,
      body: { error: { code: 'NOTIFICATION_IN_PROGRESS', message: 'still sending', details: [] } },
    }));
    expect(await createEventDeliverer(client)(notificationEvent!)).toMatchObject({
      outcome: 'retry',
      reason: 'transient',
    });
  });

  it("names the refusing code in a dead event's error", async () => {
    const { client } = clientAnswering(async () => ({
      status: 409,
      body: { error: { code: 'NOT_PAYMENT_HOLDER', message: 'no', details: [] } },
    }));
    expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({
      outcome: 'dead',
      error: expect.stringContaining('409 NOT_PAYMENT_HOLDER'),
    });
  });

  it('does not count a call the open breaker never sent', async () => {
    const { client } = clientAnswering(async () => {
      throw new DownstreamError('order', 'order circuit breaker is open', {
        transient: true,
        code: 'BREAKER_OPEN',
      });
    });
    expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({
      outcome: 'retry',
      reason: 'not-sent',
    });
  });

  it('retries a transient downstream error and passes its Retry-After on', async () => {
    const error = Object.assign(
      new DownstreamError('order', 'order answered 503', { transient: true, status: 503 }),
      { retryAfterMs: 2000 },
    );
    const { client } = clientAnswering(async () => {
      throw error;
    });
    expect(await createEventDeliverer(client)(orderEvent!)).toEqual({
      outcome: 'retry',
      error: 'order answered 503',
      reason: 'transient',
      retryAfterMs: 2000,
    });
  });

  it('retries a 409 that says the notification is still in progress: not delivered, not dead', async () => {
    const client: InternalClient = {
      send: async () => ({
        status: 409,
        body: { error: { code: 'NOTIFICATION_IN_PROGRESS', message: 'still sending' } },
        attempts: 1,
      }),
    };
    const outcome = await createEventDeliverer(client)(notificationEvent!);
    expect(outcome.outcome).toBe('retry');
  });

  it('retries a non-transient 501 from the client, never dead', async () => {
    const { client } = clientAnswering(async () => {
      throw new DownstreamError('order', 'order answered 501', { transient: false, status: 501 });
    });
    expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({ outcome: 'retry' });
  });

  it('parks a non-transient 422 from the client as dead', async () => {
    const { client } = clientAnswering(async () => {
      throw new DownstreamError('order', 'order answered 422', { transient: false, status: 422 });
    });
    expect(await createEventDeliverer(client)(orderEvent!)).toMatchObject({ outcome: 'dead' });
  });
});
