import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { api, uniqueId } from '../support/http.js';
import { rawLogs, waitForLogs } from '../support/logs.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Correlation ids in the logs of the running stack', () => {
  it('logs one access line per request with the correlation id and the required fields', async () => {
    const clientId = uniqueId('obs-corr');
    const response = await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': clientId },
    });
    // A public caller's id is kept beside ours, never used as ours.
    const correlationId = response.headers.get('x-correlation-id');
    expect(correlationId).toMatch(UUID);
    expect(response.headers.get('x-client-correlation-id')).toBe(clientId);
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
      client_correlation_id: clientId,
    });
    // The compact format (lib/shared/logger.ts): nothing the template or the line already says.
    expect(line).not.toHaveProperty('function_arn');
    expect(line).not.toHaveProperty('message');
  });

  it('replaces a hostile x-correlation-id and never logs it raw', async () => {
    const marker = uniqueId('HOSTILE');
    const hostile = `${marker} <script>\u0007`;
    const response = await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': hostile.replace('\u0007', '') },
    });
    const replacement = response.headers.get('x-correlation-id');
    expect(replacement).toMatch(UUID);
    expect(response.headers.get('x-client-correlation-id')).toBeNull();
    await waitForLogs(
      (r) => r.correlation_id === replacement && r.action === 'correlation.replace',
      (rs) => rs.length === 1,
    );
    expect(rawLogs()).not.toContain(marker);
  });

  it('accepts a W3C traceparent and logs it with the request', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await api('GET', `/orders/${uniqueId('o')}`, {
      headers: { 'x-correlation-id': uniqueId('obs-tp'), traceparent },
    });
    const correlationId = response.headers.get('x-correlation-id');
    const [line] = await waitForLogs(
      (r) => r.correlation_id === correlationId && r.action === 'http.request',
      (rs) => rs.length >= 1,
    );
    expect(line?.traceparent).toBe(traceparent);
  });

  it("adds no line to another caller's timeline when a stranger sends its correlation id", async () => {
    const victimOrder = uniqueId('o-victim');
    const clientId = uniqueId('victim-corr');
    const victim = await api('GET', `/orders/${victimOrder}`, {
      headers: { 'x-correlation-id': clientId },
    });
    const victimId = victim.headers.get('x-correlation-id') ?? '';
    expect(victimId).toMatch(UUID);

    // The stranger names the victim's id (as GET /orders/{id}/history shows
    // it) and the victim's own, on a read and on a write.
    const strangerOrder = uniqueId('o-stranger');
    const stranger = await Promise.all([
      api('GET', `/orders/${strangerOrder}`, { headers: { 'x-correlation-id': victimId } }),
      api('GET', `/orders/${strangerOrder}`, { headers: { 'x-correlation-id': clientId } }),
      api('POST', '/orders', {
        body: { orderId: strangerOrder, userId: uniqueId('u'), amount: 5, currency: 'USD' },
        headers: { 'x-correlation-id': victimId },
      }),
    ]);
    const strangerIds = stranger.map((r) => r.headers.get('x-correlation-id'));
    for (const id of strangerIds) expect(id).not.toBe(victimId);
    // Every stranger line is written before the victim's timeline is read.
    await waitForLogs(
      (r) => strangerIds.includes(r.correlation_id) && r.action === 'http.request',
      (rs) => rs.length === stranger.length,
    );

    const timeline = await api('GET', `/logs/${victimId}`);
    expect(timeline.status).toBe(200);
    const lines = timeline.body.lines as Array<Record<string, unknown>>;
    expect(lines.filter((l) => l.action === 'http.request')).toEqual([
      expect.objectContaining({ correlation_id: victimId, status: victim.status }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(strangerOrder);

    // `npm run trace` reads the same file the same way.
    const trace = spawnSync(process.execPath, ['scripts/trace.mjs', victimId, inject('logFile')], {
      encoding: 'utf8',
    });
    expect(trace.status).toBe(0);
    expect(trace.stdout).not.toContain(strangerOrder);
    expect(trace.stdout).toContain('http.request');
  });
});
