import { describe, expect, it } from 'vitest';
import {
  correlationIdsOf,
  formatTimeline,
  parseLogLines,
  story,
  timeline,
} from '../../scripts/lib/ops/trace.mjs';

const captured = [
  'offline: POST /payments (λ: paymentCreate)',
  JSON.stringify({
    timestamp: '2026-01-01T00:00:00.300Z',
    level: 'INFO',
    service: 'order',
    function_name: 'orderUpdateStatus',
    correlation_id: 'c-1',
    action: 'order.status',
    outcome: 'success',
    orderId: 'o-1',
  }),
  JSON.stringify({
    timestamp: '2026-01-01T00:00:00.100Z',
    level: 'INFO',
    service: 'payment',
    function_name: 'paymentCreate',
    correlation_id: 'c-1',
    action: 'payment.charge',
    outcome: 'success',
    transactionId: 't-1',
  }),
  JSON.stringify({
    timestamp: '2026-01-01T00:00:00.200Z',
    level: 'INFO',
    service: 'payment',
    correlation_id: 'c-2',
    action: 'payment.charge',
    outcome: 'success',
  }),
  '{"broken json',
  JSON.stringify({
    timestamp: '2026-01-01T00:05:00.000Z',
    level: 'INFO',
    service: 'payment',
    function_name: 'paymentRelay',
    correlation_id: 'c-1',
    action: 'outbox.deliver',
    outcome: 'success',
    eventId: 'e-1',
    attempt: 2,
  }),
].join('\n');

describe('Function: timeline', () => {
  it('keeps only the lines of one correlation id, oldest first', () => {
    const entries = timeline(parseLogLines(captured), 'c-1');
    expect(entries.map((e) => e.action)).toEqual([
      'payment.charge',
      'order.status',
      'outbox.deliver',
    ]);
  });

  it('formats a line per step with service, action, outcome and ids', () => {
    const text = formatTimeline(timeline(parseLogLines(captured), 'c-1'));
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /payment\/paymentCreate\s+payment\.charge\s+success\s+transactionId=t-1/,
    );
    expect(lines[2]).toMatch(/\+299\.900s.*paymentRelay.*eventId=e-1 attempt=2/);
  });

  it('says so when no line matches', () => {
    expect(formatTimeline(timeline(parseLogLines(captured), 'nope'))).toMatch(/No log lines/);
  });
});

describe('Function: story', () => {
  const retried = [
    captured,
    JSON.stringify({
      timestamp: '2026-01-01T00:00:09.000Z',
      level: 'INFO',
      service: 'payment',
      function_name: 'paymentCreate',
      correlation_id: 'c-retry',
      action: 'http.request',
      outcome: 'success',
      transactionId: 't-1',
    }),
    JSON.stringify({
      timestamp: '2026-01-01T00:00:10.000Z',
      level: 'INFO',
      service: 'payment',
      function_name: 'paymentCallback',
      correlation_id: 'c-callback',
      action: 'payment.callback',
      outcome: 'success',
      transactionId: 't-1',
    }),
  ].join('\n');

  it('joins every request that touched a transactionId, in time order', () => {
    const records = parseLogLines(retried);
    expect(correlationIdsOf(records, 't-1').sort()).toEqual(['c-1', 'c-callback', 'c-retry']);
    const entries = story(records, 't-1');
    expect(entries.map((r) => r.correlation_id)).toEqual([
      'c-1',
      'c-1',
      'c-retry',
      'c-callback',
      'c-1',
    ]);
    expect(formatTimeline(entries)).toContain('[c-callback]');
  });

  it('joins by orderId, and is one request for a correlation id', () => {
    const records = parseLogLines(retried);
    expect(correlationIdsOf(records, 'o-1')).toEqual(['c-1']);
    expect(story(records, 'c-2')).toHaveLength(1);
    expect(story(records, 'nothing')).toEqual([]);
  });
});
