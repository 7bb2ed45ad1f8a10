import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLogSource } from '../../lib/ops/file-log-source.js';
import {
  type InsightsClient,
  InsightsLogSource,
  MAX_TIMELINE_WINDOW_MS,
} from '../../lib/ops/insights-log-source.js';
import { flagParkingCalls, type LogRecord } from '../../lib/ops/timeline.js';
import { createTimelineRoute } from '../../lib/ops/timeline-route.js';
import { createConsoleRoute } from '../../lib/shared/console-page.js';
import { isAppError } from '../../lib/shared/errors.js';
import type { HttpEvent } from '../../lib/shared/middleware/types.js';
import { operatorOf } from '../../lib/shared/operator.js';
import { NodeSha256, startSigningProxy } from '../../scripts/lib/ops/sigv4-proxy.mjs';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ timestamp: '2026-01-01T00:00:00.000Z', ...fields });

describe('Class: FileLogSource', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the JSON lines of one correlation id, in time order, and skips everything else', async () => {
    const file = path.join(dir, 'local.log');
    writeFileSync(
      file,
      [
        'offline: GET /payments (λ: paymentGet)',
        line({
          timestamp: '2026-01-01T00:00:02.000Z',
          correlation_id: 'abc12345',
          service: 'order',
          action: 'order.status',
        }),
        line({ correlation_id: 'other-id', service: 'payment' }),
        `worker 3 | ${line({ timestamp: '2026-01-01T00:00:01.000Z', correlation_id: 'abc12345', service: 'payment', action: 'payment.charge' })}`,
      ].join('\n'),
    );
    const lines = await new FileLogSource(file).linesFor('abc12345');
    expect(lines.map((l) => l.action)).toEqual(['payment.charge', 'order.status']);
  });

  it('answers 503 when the file cannot be read, without its path', async () => {
    const error = await new FileLogSource(path.join(dir, 'missing.log'))
      .linesFor('abc12345')
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.status).toBe(503);
    expect((error as Error).message).not.toContain(dir);
  });
});

describe('Function: flagParkingCalls', () => {
  const at = (second: number, fields: Record<string, unknown>): LogRecord => ({
    timestamp: `2026-01-01T00:00:0${second}.000Z`,
    ...fields,
  });

  it('flags the last call for an event before the event went DEAD, and no other line', () => {
    const lines = [
      at(1, { action: 'http.call', outcome: 'refused', status: 503, idempotencyKey: 'evt-1' }),
      at(2, { action: 'http.call', outcome: 'refused', status: 422, idempotencyKey: 'evt-1' }),
      at(2, { action: 'http.call', outcome: 'success', status: 201, idempotencyKey: 'evt-2' }),
      at(3, { action: 'outbox.dead', outcome: 'failed', eventId: 'evt-1' }),
      at(4, { action: 'http.call', outcome: 'success', status: 200, idempotencyKey: 'evt-1' }),
    ];
    const flagged = flagParkingCalls(lines);
    expect(flagged.map((l) => l.parkedEventId)).toEqual([
      undefined,
      'evt-1',
      undefined,
      undefined,
      undefined,
    ]);
    // The source's lines are left as they were.
    expect(lines.some((l) => 'parkedEventId' in l)).toBe(false);
  });

  it('flags nothing when no event went DEAD', () => {
    const lines = [
      at(1, { action: 'http.call', outcome: 'refused', status: 422, idempotencyKey: 'e' }),
    ];
    expect(flagParkingCalls(lines)[0]?.parkedEventId).toBeUndefined();
  });
});

describe('Class: InsightsLogSource', () => {
  function client(statuses: string[]): InsightsClient & { queries: string[] } {
    const queries: string[] = [];
    return {
      queries,
      startQuery: async (input) => {
        queries.push(input.queryString);
        return { queryId: 'q1' };
      },
      getQueryResults: async () => {
        const status = statuses.shift() ?? 'Complete';
        return {
          status,
          results:
            status === 'Complete'
              ? [
                  [
                    { field: '@timestamp', value: 'x' },
                    {
                      field: '@message',
                      value: line({ correlation_id: 'abc12345', service: 'payment' }),
                    },
                  ],
                ]
              : [],
        };
      },
    };
  }

  it('runs one Logs Insights query for the id and polls it until complete', async () => {
    const fake = client(['Scheduled', 'Running']);
    const source = new InsightsLogSource(fake, {
      logGroupNames: ['/aws/lambda/a'],
      lookbackHours: 24,
      pollMs: 1,
      deadline: () => Date.now() + 5000,
    });
    const lines = await source.linesFor('abc12345');
    expect(lines).toHaveLength(1);
    expect(fake.queries[0]).toContain('filter correlation_id = "abc12345"');
  });

  it("looks only in the window it is given, on a payment path's log groups only", async () => {
    const inputs: Parameters<InsightsClient['startQuery']>[0][] = [];
    const fake = client([]);
    const recording: InsightsClient = {
      startQuery: async (input) => {
        inputs.push(input);
        return fake.startQuery(input);
      },
      getQueryResults: fake.getQueryResults,
    };
    const now = Date.parse('2026-12-06T12:00:00Z');
    const groups = [
      '/aws/lambda/lambda-payments-prod-paymentCreate',
      '/aws/lambda/lambda-payments-prod-orderHold',
      '/aws/lambda/lambda-payments-prod-orderGet',
      '/aws/lambda/lambda-payments-prod-notificationList',
      '/aws/lambda/lambda-payments-prod-paymentRelay',
    ];
    const source = new InsightsLogSource(recording, {
      logGroupNames: groups,
      lookbackHours: 1,
      pollMs: 1,
      deadline: () => Date.now() + 5000,
      clock: () => now,
    });
    await source.linesFor('abc12345', {
      from: Date.parse('2026-12-06T11:40:00Z'),
      to: Date.parse('2026-12-06T11:45:00Z'),
      path: 'payment',
    });
    expect(inputs[0]).toMatchObject({
      startTime: Date.parse('2026-12-06T11:40:00Z') / 1000,
      endTime: Date.parse('2026-12-06T11:45:00Z') / 1000,
      logGroupNames: [
        '/aws/lambda/lambda-payments-prod-paymentCreate',
        '/aws/lambda/lambda-payments-prod-orderHold',
        '/aws/lambda/lambda-payments-prod-paymentRelay',
      ],
    });
    // No window: the last hour, every group; a window wider than the relay's horizon is cut.
    await source.linesFor('abc12345');
    expect(inputs[1]).toMatchObject({
      startTime: (now - 3600_000) / 1000,
      endTime: now / 1000,
      logGroupNames: groups,
    });
    await source.linesFor('abc12345', { from: now - 7 * 86_400_000, to: now });
    expect(inputs[2]?.startTime).toBe((now - MAX_TIMELINE_WINDOW_MS) / 1000);
  });

  it('gives up with a 503 at its deadline rather than outliving the function', async () => {
    const fake = client(Array(1000).fill('Running'));
    const source = new InsightsLogSource(fake, {
      logGroupNames: ['/aws/lambda/a'],
      lookbackHours: 1,
      pollMs: 5,
      deadline: () => Date.now() + 2,
    });
    const error = await source.linesFor('abc12345').catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('LOGS_QUERY_RUNNING');
  });
});

describe('Function: createConsoleRoute', () => {
  const route = createConsoleRoute({ html: '<p>page</p>', script: 'js()', stylesheet: 'p{}' });
  const event = (asset?: string) =>
    ({ pathParameters: asset ? { asset } : undefined }) as unknown as HttpEvent;

  it('serves the page, its script and its stylesheet under a CSP that allows only our own files', async () => {
    const page = await route(event(), {} as never);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await route(event('app.js'), {} as never)).headers['content-type']).toMatch(
      /^text\/javascript/,
    );
    expect((await route(event('app.css'), {} as never)).body).toBe('p{}');
  });

  it('answers 404 for any other file', async () => {
    const error = await route(event('secrets.txt'), {} as never).catch((e: unknown) => e);
    expect(isAppError(error) && error.status).toBe(404);
  });
});

describe('Function: operatorOf', () => {
  it('names the IAM principal that signed the request, else the local caller', () => {
    const iam = {
      requestContext: {
        authorizer: { iam: { userArn: 'arn:aws:sts::1:assumed-role/Ops/ana' } },
        http: { sourceIp: '1.2.3.4' },
      },
    };
    expect(operatorOf(iam as unknown as HttpEvent)).toBe('arn:aws:sts::1:assumed-role/Ops/ana');
    expect(
      operatorOf({ requestContext: { http: { sourceIp: '127.0.0.1' } } } as unknown as HttpEvent),
    ).toBe('local:127.0.0.1');
  });
});

describe('Function: startSigningProxy', () => {
  it('forwards each request signed with SigV4 for execute-api, and the answer back unchanged', async () => {
    let seen:
      | { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }
      | undefined;
    const upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        res
          .writeHead(202, { 'content-type': 'application/json', 'x-correlation-id': 'c-1' })
          .end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const proxy = await startSigningProxy({ target, region: 'eu-west-1', credentials });
    try {
      const response = await fetch(`${proxy.url}/payments/tx-1/redrive?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: 'never=forwarded' },
        body: '{"eventId":"e-1"}',
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('x-correlation-id')).toBe('c-1');
      expect(await response.json()).toEqual({ ok: true });
      expect(seen).toMatchObject({
        method: 'POST',
        url: '/payments/tx-1/redrive?x=1',
        body: '{"eventId":"e-1"}',
      });
      expect(seen?.headers.cookie).toBeUndefined();
      const authorization = String(seen?.headers.authorization);
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/,
      );

      // Signed again, from what the upstream received (as API Gateway checks it), at the
      // same instant, the request gives the same signature.
      const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      expect(signedNames).toContain('host');
      const received = Object.fromEntries(signedNames.map((n) => [n, String(seen?.headers[n])]));
      const amzDate = String(seen?.headers['x-amz-date']);
      const signingDate = new Date(
        amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
      );
      const signer = new SignatureV4({
        service: 'execute-api',
        region: 'eu-west-1',
        credentials,
        sha256: NodeSha256,
      });
      const url = new URL(`${target}/payments/tx-1/redrive?x=1`);
      const expected = await signer.sign(
        {
          method: 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: { x: '1' },
          headers: received,
          body: Buffer.from('{"eventId":"e-1"}'),
        },
        { signingDate },
      );
      expect(authorization).toBe(expected.headers.authorization);
    } finally {
      await proxy.close();
      upstream.close();
    }
  });
});

describe('Function: createTimelineRoute', () => {
  const scopes: unknown[] = [];
  const route = createTimelineRoute(() => ({
    linesFor: async (_id, scope) => {
      scopes.push(scope);
      return [];
    },
  }));
  const call = (query: Record<string, string>) =>
    route(
      {
        pathParameters: { correlationId: 'abc12345' },
        queryStringParameters: query,
      } as unknown as HttpEvent,
      {} as never,
    );

  it('passes the window and the path of the lookup to the log source', async () => {
    await call({ from: '2026-12-06T11:40:00Z', to: '2026-12-06T11:45:00.000Z', path: 'payment' });
    expect(scopes.at(-1)).toEqual({
      from: Date.parse('2026-12-06T11:40:00Z'),
      to: Date.parse('2026-12-06T11:45:00Z'),
      path: 'payment',
    });
  });

  it.each([
    [{ from: 'yesterday' }, 'from'],
    [{ path: 'everything' }, 'path'],
    [{ from: '2026-12-06T12:00:00Z', to: '2026-12-06T11:00:00Z' }, 'from must be before to'],
    [{ limit: '5' }, 'limit'],
  ])('refuses %o with a 400 naming the problem', async (query, named) => {
    const error = await call(query).catch((e: unknown) => e);
    expect(isAppError(error) && error.status).toBe(400);
    expect(JSON.stringify((error as { details?: unknown }).details ?? error)).toContain(named);
  });
});
