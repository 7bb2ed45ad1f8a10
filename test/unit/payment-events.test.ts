import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { inProgressRetryAfterSeconds, toIdempotencyError } from '../../lib/payment/idempotency.js';
import { eventIdFor, outboxEventsFor } from '../../lib/payment/outbox/events.js';
import { paymentRequestSchema } from '../../lib/payment/schemas.js';
import type { Payment } from '../../lib/payment/types.js';
import { ID_PATTERN, parseInput } from '../../lib/shared/validation.js';

describe('Function: outboxEventsFor', () => {
  const failed: Payment = {
    transactionId: 'tx-9',
    orderId: 'o-9',
    userId: 'u-9',
    amountMinor: 1051,
    currency: 'USD',
    status: 'FAILED',
    failureReason: 'insufficient_funds',
    correlationId: 'corr-00000009',
    createdAt: '2026-01-01T00:00:00.000Z',
    finalizedAt: '2026-01-01T00:00:01.000Z',
  };

  it('makes the same valid eventIds for the same transaction, and different ones per type', () => {
    expect(eventIdFor('tx-9', 'order.status')).toBe(eventIdFor('tx-9', 'order.status'));
    expect(eventIdFor('tx-9', 'order.status')).not.toBe(eventIdFor('tx-9', 'notification.send'));
    expect(eventIdFor('tx-9', 'order.status')).not.toBe(eventIdFor('tx-10', 'order.status'));
    expect(eventIdFor('x'.repeat(128), 'order.status')).toMatch(ID_PATTERN);
  });

  it('emits PAYMENT_FAILED with the reason for a failed payment, with the correlation id', () => {
    const [order, notification] = outboxEventsFor(failed, new Date());
    expect(order).toMatchObject({
      type: 'order.status',
      status: 'PENDING',
      attempts: 0,
      correlationId: 'corr-00000009',
      payload: { orderId: 'o-9', status: 'PAYMENT_FAILED', reason: 'insufficient_funds' },
    });
    expect(notification?.payload.message).toBe(
      'Payment tx-9 of 10.51 USD for order o-9 failed (insufficient_funds).',
    );
  });
});

describe('Function: toIdempotencyError', () => {
  it('maps an execution in progress to 409 IDEMPOTENCY_IN_PROGRESS with Retry-After', () => {
    expect(toIdempotencyError(new IdempotencyAlreadyInProgressError('busy'))).toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_IN_PROGRESS',
      headers: { 'Retry-After': '1' },
    });
  });

  it('derives Retry-After from the in-progress record expiry, rounded up', () => {
    const now = 1_000_000;
    expect(
      toIdempotencyError(new IdempotencyAlreadyInProgressError('busy'), {
        inProgressExpiresAt: now + 12_300,
        now,
      }),
    ).toMatchObject({ status: 409, headers: { 'Retry-After': '13' } });
    // An expiry already past still asks for a short wait, never 0 or negative.
    expect(inProgressRetryAfterSeconds(now - 5000, now)).toBe(1);
  });

  it('maps a payload mismatch to 422 IDEMPOTENCY_KEY_REUSED', () => {
    expect(toIdempotencyError(new IdempotencyValidationError('mismatch'))).toMatchObject({
      status: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('leaves any other error as it is', () => {
    const error = new Error('boom');
    expect(toIdempotencyError(error)).toBe(error);
  });
});

describe('Schema: paymentRequestSchema', () => {
  it('adds integer minor units', () => {
    expect(
      parseInput(paymentRequestSchema, {
        transactionId: 't-1',
        orderId: 'o-1',
        userId: 'u-1',
        amount: 125.5,
        currency: 'USD',
      }),
    ).toMatchObject({ amountMinor: 12550 });
  });

  it('names every bad field', () => {
    try {
      parseInput(paymentRequestSchema, {
        transactionId: 'x'.repeat(129),
        orderId: 'o 1',
        amount: -1,
        currency: 'EURO',
      });
      expect.unreachable();
    } catch (error) {
      const fields = (error as { details: { field: string }[] }).details.map((d) => d.field);
      expect(fields).toEqual(
        expect.arrayContaining(['transactionId', 'orderId', 'userId', 'currency']),
      );
    }
  });
});
