import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { headerValue, resolveCorrelationId } from '../../lib/shared/correlation.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { fakeContext, httpEvent } from '../support/lambda.js';
import { withLogLines } from '../support/output.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Function: resolveCorrelationId', () => {
  it("keeps a verified caller's safe id", () => {
    expect(resolveCorrelationId('req-12345678', true)).toEqual({
      correlationId: 'req-12345678',
      replaced: false,
    });
  });

  it("makes a new id for an unverified caller and keeps the caller's safe id beside it", () => {
    const result = resolveCorrelationId('req-12345678', false);
    expect(result.correlationId).toMatch(UUID);
    expect(result).toMatchObject({ clientCorrelationId: 'req-12345678', replaced: false });
  });

  it.each([
    'short',
    'x'.repeat(129),
    'evil\nINJECTED line',
    '%{jndi:ldap:x}',
    '<script>alert(1)</script>',
  ])(
    'replaces the hostile id %j with a new UUID, trusted or not, and keeps nothing of it',
    (hostile) => {
      for (const trusted of [true, false]) {
        const result = resolveCorrelationId(hostile, trusted);
        expect(result.replaced).toBe(true);
        expect(result.correlationId).toMatch(UUID);
        expect(result.clientCorrelationId).toBeUndefined();
      }
    },
  );

  it('makes a new UUID when none is given', () => {
    const a = resolveCorrelationId(undefined, true);
    const b = resolveCorrelationId(undefined, false);
    expect(a).toEqual({ correlationId: expect.stringMatching(UUID), replaced: false });
    expect(a.correlationId).not.toBe(b.correlationId);
  });
});

describe('Function: headerValue', () => {
  it('finds a header whatever its case', () => {
    expect(headerValue({ Authorization: 'Bearer x' }, 'authorization')).toBe('Bearer x');
    expect(headerValue(undefined, 'authorization')).toBeUndefined();
  });
});

type Line = Record<string, unknown>;
type Answer = { statusCode: number; headers: Record<string, string>; body: string };

/** A route behind the house middleware that logs one line and answers what it was given. */
function routeWithLogger() {
  const logger = new Logger({ serviceName: 'order', logLevel: 'INFO' });
  const handler = httpHandler({ logger }, async (event) => {
    logAction(logger, { action: 'route.work', outcome: 'success' });
    return json(200, { correlationId: event.correlationId, caller: event.caller ?? null });
  });
  return async (options: Parameters<typeof httpEvent>[0]) => {
    const { result: answer, lines } = await withLogLines(
      async () => (await handler(httpEvent(options), fakeContext())) as Answer,
    );
    return {
      answer,
      lines: lines as Line[],
      body: JSON.parse(answer.body) as { correlationId: string },
    };
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Middleware: correlation', () => {
  it("gives a public caller's request an id of its own and records the caller's beside it", async () => {
    const call = routeWithLogger();
    const { answer, lines, body } = await call({ headers: { 'x-correlation-id': 'client-0001' } });
    const ours = answer.headers['x-correlation-id'];
    expect(ours).toMatch(UUID);
    expect(answer.headers['x-client-correlation-id']).toBe('client-0001');
    expect(body.correlationId).toBe(ours);
    expect(lines.map((l) => l.action)).toEqual(['route.work', 'http.request']);
    for (const line of lines) {
      expect(line).toMatchObject({ correlation_id: ours, client_correlation_id: 'client-0001' });
    }
  });

  it("cannot add a line to another request's timeline by sending its correlation id", async () => {
    const call = routeWithLogger();
    const victim = await call({ headers: { 'x-correlation-id': 'victim-request-01' } });
    const victimId = victim.answer.headers['x-correlation-id'];
    // The stranger names the victim's own id and the id the victim's lines carry.
    for (const named of ['victim-request-01', victimId as string]) {
      const stranger = await call({ headers: { 'x-correlation-id': named } });
      expect(stranger.answer.headers['x-correlation-id']).not.toBe(victimId);
      for (const line of stranger.lines) expect(line.correlation_id).not.toBe(victimId);
    }
  });

  it("takes a verified internal caller's id: one request keeps one id across services", async () => {
    const call = routeWithLogger();
    const { answer, lines, body } = await call({
      headers: { 'x-correlation-id': 'corr-internal-01' },
      authorizer: { caller: 'payment', jti: 'j-1' },
    });
    expect(answer.headers['x-correlation-id']).toBe('corr-internal-01');
    expect(answer.headers).not.toHaveProperty('x-client-correlation-id');
    expect(body).toMatchObject({
      correlationId: 'corr-internal-01',
      caller: { caller: 'payment' },
    });
    for (const line of lines) {
      expect(line).toMatchObject({ correlation_id: 'corr-internal-01', caller: 'payment' });
      expect(line).not.toHaveProperty('client_correlation_id');
    }
  });

  it("does not trust an authorizer context that serverless-offline's override header made", async () => {
    const call = routeWithLogger();
    const { answer, lines } = await call({
      headers: {
        'x-correlation-id': 'corr-forged-0001',
        'sls-offline-authorizer-override': '{"lambda":{"caller":"payment"}}',
      },
      authorizer: { caller: 'payment' },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['x-correlation-id']).toMatch(UUID);
    for (const line of lines) expect(line.correlation_id).not.toBe('corr-forged-0001');
  });

  it("keeps a caller's id out of the next request's lines", async () => {
    const call = routeWithLogger();
    await call({ headers: { 'x-correlation-id': 'client-0002' } });
    const next = await call({});
    expect(next.answer.headers).not.toHaveProperty('x-client-correlation-id');
    for (const line of next.lines) expect(line).not.toHaveProperty('client_correlation_id');
  });

  it('replaces a hostile id and never echoes or logs it', async () => {
    const call = routeWithLogger();
    const { answer, lines } = await call({ headers: { 'x-correlation-id': '<script>x</script>' } });
    expect(answer.headers['x-correlation-id']).toMatch(UUID);
    expect(answer.headers).not.toHaveProperty('x-client-correlation-id');
    expect(JSON.stringify(lines)).not.toContain('script');
    expect(lines.map((l) => l.action)).toContain('correlation.replace');
  });
});
