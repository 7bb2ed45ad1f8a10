import { describe, expect, it } from 'vitest';
import { api, uniqueId } from '../support/http.js';
import { rawLogs, waitForLogs } from '../support/logs.js';

describe('Correlation ids in the logs of the running stack', () => {
  it('logs one access line per request with the correlation id and the required fields', async () => {
    const correlationId = uniqueId('obs-corr');
    const response = await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': correlationId },
    });
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
    const [line] = await waitForLogs(
      (r) => r.correlation_id === correlationId && r.action === 'http.request',
      (rs) => rs.length >= 1,
    );
    expect(line).toMatchObject({
      level: expect.any(String),
      timestamp: expect.any(String),
      service: 'order',
      function_name: expect.stringContaining('orderGet'),
      cold_start: expect.any(Boolean),
      action: 'http.request',
      outcome: expect.stringMatching(/^(success|rejected|failed)$/),
      status: response.status,
      durationMs: expect.any(Number),
    });
  });

  it('replaces a hostile x-correlation-id and never logs it raw', async () => {
    const marker = uniqueId('HOSTILE');
    const hostile = `${marker} <script>\u0007`;
    const response = await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': hostile.replace('\u0007', '') },
    });
    const replacement = response.headers.get('x-correlation-id');
    expect(replacement).toMatch(/^[0-9a-f-]{36}$/);
    await waitForLogs(
      (r) => r.correlation_id === replacement && r.action === 'correlation.replace',
      (rs) => rs.length === 1,
    );
    expect(rawLogs()).not.toContain(marker);
  });

  it('accepts a W3C traceparent and logs it with the request', async () => {
    const correlationId = uniqueId('obs-tp');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': correlationId, traceparent },
    });
    const [line] = await waitForLogs(
      (r) => r.correlation_id === correlationId && r.action === 'http.request',
      (rs) => rs.length >= 1,
    );
    expect(line?.traceparent).toBe(traceparent);
  });
});
