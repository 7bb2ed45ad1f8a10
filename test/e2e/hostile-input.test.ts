import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type CryptoKey, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signGatewayPayload } from '../../lib/payment/webhook-signature.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { api, expectErrorFormat, uniqueId } from '../support/http.js';
import { waitForLogs } from '../support/logs.js';
import { signToken } from '../support/service-tokens.js';
import { TABLE_ENV_VARS } from '../support/tables.js';

// Every id this file sends carries RUN, and so does every correlation id, so
// anything a service might write because of this file can be found.
const RUN = uniqueId('hostile');
const id = (name: string) => `${RUN}-${name}`;

/**
 * Who must answer a case:
 * - `ours`: our middleware, before the handler runs: a 4xx in the contract's format.
 * - `gateway`: offline / API Gateway itself (missing token 401, denied 403,
 *   server limits): a 4xx, in the gateway's own format (HTTP APIs cannot
 *   reshape it).
 * - `handler`: the route's own validation: a 4xx in our format.
 */
type Judge = 'ours' | 'gateway' | 'handler';

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  rawBody?: string;
  judge: Judge;
  status?: number;
  code?: string;
  /** The field the error's details must name. */
  field?: string;
  /** The exact error body. */
  body?: unknown;
  /** The request's log lines must hold no ERROR (it would feed the 5xx alarm's cousins). */
  quiet?: boolean;
}

const JSON_CT = { 'content-type': 'application/json' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const STACK = /\bat .+\.(?:ts|js|mjs):\d+|node_modules|Error: /;

let paymentToken: (aud: string) => Promise<string>;

const PUBLIC_POSTS = [
  {
    path: '/orders',
    valid: () => ({ orderId: id('o'), userId: id('u'), amount: 12.5, currency: 'USD' }),
  },
  {
    path: '/payments',
    valid: () => ({
      transactionId: id('t'),
      orderId: id('o'),
      userId: id('u'),
      amount: 12.5,
      currency: 'USD',
    }),
  },
  {
    path: '/payments/callback',
    valid: () => ({ transactionId: id('t'), status: 'SUCCEEDED' }),
  },
];
const INTERNAL_POSTS = [
  {
    method: 'PUT',
    path: () => `/orders/${id('o')}/status`,
    aud: 'order',
    valid: () => ({ status: 'PAID' }),
  },
  {
    method: 'POST',
    path: () => '/notifications',
    aud: 'notification',
    valid: () => ({ userId: id('u'), message: 'hi' }),
  },
];
const PUBLIC_GETS = ['/orders/{id}', '/orders/{id}/history', '/payments/{id}'];

/** Bodies the JSON middleware refuses on every POST/PUT route. */
function bodyCases(valid: Record<string, unknown>): Array<Omit<Case, 'method' | 'path'>> {
  const text = JSON.stringify(valid);
  return [
    {
      name: 'text/plain',
      headers: { 'content-type': 'text/plain' },
      rawBody: text,
      judge: 'ours',
      status: 415,
    },
    {
      name: 'a form body',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: 'a=1',
      judge: 'ours',
      status: 415,
    },
    {
      name: 'application/jsonp',
      headers: { 'content-type': 'application/jsonp' },
      rawBody: text,
      judge: 'ours',
      status: 415,
    },
    {
      name: 'multipart',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      rawBody: '--x--',
      judge: 'ours',
      status: 415,
    },
    {
      name: 'XML',
      headers: { 'content-type': 'application/xml' },
      rawBody: '<a/>',
      judge: 'ours',
      status: 415,
    },
    {
      name: 'malformed JSON',
      headers: JSON_CT,
      rawBody: '{"a":',
      judge: 'ours',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a bare word',
      headers: JSON_CT,
      rawBody: 'hello',
      judge: 'ours',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'trailing garbage',
      headers: JSON_CT,
      rawBody: `${text}}`,
      judge: 'ours',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    { name: 'an empty body', headers: JSON_CT, rawBody: '', judge: 'ours', status: 400 },
    { name: 'whitespace only', headers: JSON_CT, rawBody: '  \n ', judge: 'ours', status: 400 },
    {
      name: 'an array',
      headers: JSON_CT,
      rawBody: `[${text}]`,
      judge: 'ours',
      status: 400,
      code: 'BODY_NOT_OBJECT',
    },
    // Offline's hapi parses JSON primitives before us ("x" arrives as x, null as
    // nothing): MALFORMED_JSON / EMPTY_BODY there, BODY_NOT_OBJECT in AWS; 400 either way.
    { name: 'a string', headers: JSON_CT, rawBody: '"x"', judge: 'ours', status: 400 },
    { name: 'null', headers: JSON_CT, rawBody: 'null', judge: 'ours', status: 400 },
    {
      name: 'a number',
      headers: JSON_CT,
      rawBody: '1e400',
      judge: 'ours',
      status: 400,
      code: 'BODY_NOT_OBJECT',
    },
    {
      name: 'a __proto__ key',
      headers: JSON_CT,
      rawBody: `{"__proto__":{"admin":true},${text.slice(1)}`,
      judge: 'ours',
      status: 400,
      code: 'FORBIDDEN_FIELD',
    },
    {
      name: 'an escaped __proto__ key',
      headers: JSON_CT,
      rawBody: `{"\\u005f_proto__":{"x":1},${text.slice(1)}`,
      judge: 'ours',
      status: 400,
      code: 'FORBIDDEN_FIELD',
    },
    {
      name: 'a nested constructor.prototype',
      headers: JSON_CT,
      rawBody: `{"meta":{"constructor":{"prototype":{"x":1}}},${text.slice(1)}`,
      judge: 'ours',
      status: 400,
      code: 'FORBIDDEN_FIELD',
    },
    {
      name: 'a 64 KiB body',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, pad: 'x'.repeat(64 * 1024) }),
      judge: 'ours',
      status: 413,
    },
    {
      name: 'a 2 MiB body',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, pad: 'x'.repeat(2 * 1024 * 1024) }),
      judge: 'ours',
      status: 413,
    },
    {
      name: 'headers over 8 KiB',
      headers: { ...JSON_CT, 'x-pad': 'p'.repeat(9 * 1024) },
      rawBody: text,
      judge: 'ours',
      status: 431,
    },
    // What only the route's schema can refuse.
    {
      name: 'an unknown field',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, isAdmin: true }),
      judge: 'handler',
    },
    {
      name: 'every field null',
      headers: JSON_CT,
      rawBody: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, null]))),
      judge: 'handler',
    },
    { name: 'an empty object', headers: JSON_CT, rawBody: '{}', judge: 'handler' },
    {
      name: 'ids of 129 characters',
      headers: JSON_CT,
      rawBody: JSON.stringify(mapIds(valid, () => `${RUN}-${'a'.repeat(129)}`)),
      judge: 'handler',
    },
    {
      name: 'ids with injection characters',
      headers: JSON_CT,
      rawBody: JSON.stringify(mapIds(valid, (v) => `${v}' OR '1'='1`)),
      judge: 'handler',
    },
    {
      name: 'ids as numbers',
      headers: JSON_CT,
      rawBody: JSON.stringify(mapIds(valid, () => 12345)),
      judge: 'handler',
    },
    {
      name: 'an amount as a string',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, amount: '12.50' }),
      judge: 'handler',
    },
    {
      name: 'a negative amount',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, amount: -1 }),
      judge: 'handler',
    },
    {
      name: 'a zero amount',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, amount: 0 }),
      judge: 'handler',
    },
    {
      name: 'too many decimals',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, amount: 12.345 }),
      judge: 'handler',
    },
    {
      name: 'an infinite amount',
      headers: JSON_CT,
      rawBody: `{${text.slice(1, -1)},"amount":1e400}`,
      judge: 'handler',
    },
    {
      name: 'a huge amount',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, amount: 1e20 }),
      judge: 'handler',
    },
    {
      name: 'a lower-case currency',
      headers: JSON_CT,
      rawBody: JSON.stringify({ ...valid, currency: 'usd' }),
      judge: 'handler',
    },
    {
      name: 'an object where a string goes',
      headers: JSON_CT,
      rawBody: JSON.stringify(mapIds(valid, () => ({ $ne: null }))),
      judge: 'handler',
    },
    {
      name: 'deep nesting',
      headers: JSON_CT,
      rawBody: `{${text.slice(1, -1)},"x":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
      judge: 'handler',
    },
    {
      name: 'a hostile fault-injection header',
      headers: { ...JSON_CT, 'x-fault-inject': 'order=crash;;;\u0000'.replace('\u0000', '') },
      rawBody: JSON.stringify({ ...valid, isAdmin: true }),
      judge: 'handler',
    },
  ];
}

function mapIds(
  body: Record<string, unknown>,
  f: (v: unknown) => unknown,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, /Id$/.test(k) ? f(v) : v]));
}

/** Path ids the request guard refuses (encoded as a client would send them). */
const BAD_PATH_IDS: Array<[string, string]> = [
  ['a space', `${RUN}%20x`],
  ['129 characters', `${RUN}-${'a'.repeat(129)}`],
  ['unicode', `${RUN}-%C3%A9`],
  ['HTML', `%3Cscript%3E${RUN}%3C%2Fscript%3E`],
  ['SQL-ish quotes', `${RUN}'%20OR%20'1'='1`],
  ['a NUL byte', `${RUN}%00`],
  ['double-encoded dots', `%252e%252e${RUN}`],
  ['a comma', `${RUN},x`],
];

const BAD_QUERIES: Array<[string, string]> = [
  ['a userId with HTML', `userId=%3Cb%3E${RUN}`],
  ['a userId of 129 characters', `userId=${RUN}-${'a'.repeat(129)}`],
  ['a repeated userId', `userId=${RUN}-a&userId=${RUN}-b`],
  ['an empty userId', 'userId='],
  ['a __proto__ query name', `__proto__[admin]=1&userId=${RUN}`],
  ['an oversized parameter', `userId=${RUN}&q=${'x'.repeat(300)}`],
];

/**
 * Query values of the paged routes that are no value the route made or
 * documents: each a 400 VALIDATION_FAILED naming its field, logged at WARN
 * at most. A cursor that decodes to a key of another shape would reach
 * DynamoDB as the start key (it was a 500 on the operator list, a 503 on
 * notifications), and a history seq past 2^53 a 503.
 */
function pagedQueryCases(): Case[] {
  const at = '2026-12-01T10:00:00.000Z';
  const user = id('u');
  const final = { pk: `PAYMENT#${id('t')}`, sk: 'PAYMENT', status: 'SUCCEEDED', createdAt: at };
  const rows: Array<[string, string, string]> = [
    [`/orders/${id('o')}/history?cursor=s9007199254740992`, 'a seq past 2^53', 'cursor'],
    [`/orders/${id('o')}/history?cursor=s99999999999999999`, 'a seq of 17 digits', 'cursor'],
    [`/orders/${id('o')}/history?cursor=s0`, 'seq 0', 'cursor'],
    [`/orders/${id('o')}/history?cursor=${b64({ seq: 1 })}`, 'a JSON cursor', 'cursor'],
    [`/orders/${id('o')}/history?limit=0`, 'limit 0', 'limit'],
    [`/orders/${id('o')}/history?limit=1e3`, 'limit 1e3', 'limit'],
    [
      `/notifications?userId=${user}&cursor=${b64({ pk: `USER#${user}`, sk: '' })}`,
      'a cursor with an empty sort key',
      'cursor',
    ],
    [
      `/notifications?userId=${user}&cursor=${b64({ pk: `USER#${user}`, sk: 'x' })}`,
      'a cursor with a foreign sort key',
      'cursor',
    ],
    [
      `/notifications?userId=${user}&cursor=${b64({ pk: `USER#${id('other')}`, sk: `${at}#n` })}`,
      "another user's cursor",
      'cursor',
    ],
    [`/notifications?userId=${user}&cursor=${b64(final)}`, 'a payment key as cursor', 'cursor'],
    [`/notifications?userId=${user}&limit=101`, 'limit 101', 'limit'],
    [
      `/payments?cursor=${b64({ SUCCEEDED: { transactionId: id('t') } })}`,
      'a foreign key',
      'cursor',
    ],
    [`/payments?cursor=${b64({ SUCCEEDED: {} })}`, 'an empty key', 'cursor'],
    [`/payments?cursor=${b64({ PROCESSING: final })}`, 'a status key as in-flight key', 'cursor'],
    [
      `/payments?cursor=${b64({ SUCCEEDED: { ...final, status: 'FAILED' } })}`,
      'a key of another status',
      'cursor',
    ],
    [`/payments?cursor=${b64({ PENDING: null })}`, 'an unknown status in the cursor', 'cursor'],
    [`/payments?cursor=bm9wZQ`, 'a cursor that is not JSON', 'cursor'],
    [
      `/payments?cursor=${b64({ at: 'yesterday', seen: ['AAAAAAAAAAA'] })}`,
      'a position that is no time',
      'cursor',
    ],
    [
      `/payments?cursor=${b64({ at: '2026-12-01T10:00:00.000Z', seen: [id('t')] })}`,
      'a tie that is an id, not a digest',
      'cursor',
    ],
    [`/payments?status=succeeded`, 'a lower-case status', 'status'],
    [`/payments?status=SUCCEEDED,FAILED`, 'two statuses', 'status'],
    [`/payments?limit=0`, 'limit 0', 'limit'],
  ];
  return rows.map(([path, name, field]) => ({
    name: `${name} (${field})`,
    method: 'GET',
    path,
    judge: 'handler',
    status: 400,
    code: 'VALIDATION_FAILED',
    field,
    quiet: true,
  }));
}

/** The callback's 401: one body whatever check failed (which one is logged, at WARN). */
function signatureCases(): Case[] {
  const rawBody = JSON.stringify({ transactionId: id('t'), status: 'succeeded' });
  const now = Math.floor(Date.now() / 1000);
  const headers: Array<[string, Record<string, string>]> = [
    ['no signature', {}],
    ['a malformed signature', { 'x-gateway-signature': 'v1=abc' }],
    ['a stale signature', { 'x-gateway-signature': signGatewayPayload(rawBody, 'x', now - 3600) }],
    ['a forged signature', { 'x-gateway-signature': signGatewayPayload(rawBody, 'forged', now) }],
  ];
  return headers.map(([name, h]) => ({
    name,
    method: 'POST',
    path: '/payments/callback',
    headers: { ...JSON_CT, ...h },
    rawBody,
    judge: 'handler',
    status: 401,
    body: {
      error: { code: 'INVALID_SIGNATURE', message: 'Invalid gateway signature', details: [] },
    },
    quiet: true,
  }));
}

function allCases(): Array<Case & { auth?: string }> {
  const cases: Array<Case & { auth?: string }> = [...pagedQueryCases(), ...signatureCases()];
  for (const route of PUBLIC_POSTS) {
    for (const c of bodyCases(route.valid()))
      cases.push({ ...c, method: 'POST', path: route.path });
  }
  for (const route of INTERNAL_POSTS) {
    const valid = route.valid();
    cases.push({
      name: 'no token',
      method: route.method,
      path: route.path(),
      headers: JSON_CT,
      rawBody: JSON.stringify(valid),
      judge: 'gateway',
      status: 401,
    });
    cases.push({
      name: 'a forged token',
      method: route.method,
      path: route.path(),
      headers: { ...JSON_CT, authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJwYXltZW50In0.' },
      rawBody: JSON.stringify(valid),
      judge: 'gateway',
      status: 403,
    });
    cases.push({
      name: 'no token and a hostile body',
      method: route.method,
      path: route.path(),
      headers: JSON_CT,
      rawBody: '{"__proto__":{"admin":true}}',
      judge: 'gateway',
      status: 401,
    });
    // With a valid payment token: an authorized caller cannot break anything either.
    for (const c of bodyCases(valid)) {
      cases.push({
        ...c,
        name: `${c.name} (valid token)`,
        method: route.method,
        path: route.path(),
        auth: route.aud,
      });
    }
  }
  for (const template of PUBLIC_GETS) {
    for (const [name, bad] of BAD_PATH_IDS) {
      cases.push({
        name: `an id with ${name}`,
        method: 'GET',
        path: template.replace('{id}', bad),
        judge: 'ours',
        status: 400,
        code: 'INVALID_PATH_PARAMETER',
      });
    }
    cases.push({
      name: 'headers over 8 KiB',
      method: 'GET',
      path: template.replace('{id}', id('x')),
      headers: { 'x-pad': 'p'.repeat(9 * 1024) },
      judge: 'ours',
      status: 431,
    });
    cases.push({
      name: 'a query userId with HTML',
      method: 'GET',
      path: `${template.replace('{id}', id('x'))}?userId=%3Cb%3E`,
      judge: 'ours',
      status: 400,
      code: 'INVALID_QUERY_PARAMETER',
    });
  }
  for (const [name, bad] of BAD_PATH_IDS) {
    cases.push({
      name: `an id with ${name} (valid token)`,
      method: 'PUT',
      path: `/orders/${bad}/status`,
      headers: JSON_CT,
      rawBody: '{"status":"PAID"}',
      judge: 'ours',
      status: 400,
      code: 'INVALID_PATH_PARAMETER',
      auth: 'order',
    });
  }
  for (const [name, query] of BAD_QUERIES) {
    cases.push({
      name,
      method: 'GET',
      path: `/notifications?${query}`,
      judge: 'ours',
      status: 400,
      code: 'INVALID_QUERY_PARAMETER',
    });
  }
  cases.push({ name: 'no userId', method: 'GET', path: '/notifications', judge: 'handler' });
  // serverless-offline would let this header pick event.caller on any route.
  const override = {
    'sls-offline-authorizer-override': JSON.stringify({ lambda: { caller: 'payment', jti: 'x' } }),
  };
  cases.push({
    name: "offline's authorizer override",
    method: 'GET',
    path: `/notifications?userId=${id('u')}`,
    headers: override,
    judge: 'ours',
    status: 400,
    code: 'FORBIDDEN_HEADER',
  });
  cases.push({
    name: "offline's authorizer override (valid token)",
    method: 'POST',
    path: '/notifications',
    headers: { ...JSON_CT, ...override },
    rawBody: JSON.stringify({ userId: id('u'), message: 'hi' }),
    judge: 'ours',
    status: 400,
    code: 'FORBIDDEN_HEADER',
    auth: 'notification',
  });
  cases.push({
    name: 'an unknown route',
    method: 'GET',
    path: `/admin/${RUN}`,
    judge: 'gateway',
    status: 404,
  });
  cases.push({
    name: 'a method the route does not have',
    method: 'DELETE',
    path: `/orders/${id('o')}`,
    judge: 'gateway',
  });
  cases.push({
    name: 'headers over 16 KiB (the server limit)',
    method: 'GET',
    path: `/orders/${id('o')}`,
    headers: { 'x-pad': 'p'.repeat(20 * 1024) },
    judge: 'gateway',
  });
  return cases;
}

/** Every table's items, each as stable JSON, so an insert, update or delete shows. */
type Snapshot = Record<string, Set<string>>;

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v instanceof Set
        ? [...v].sort()
        : v,
  );
}

/** Scans every table (DynamoDB Local, names from the function environment). */
async function snapshot(): Promise<Snapshot> {
  const { doc } = dynamoFromEnv();
  const result: Snapshot = {};
  for (const name of TABLE_ENV_VARS) {
    const table = process.env[name];
    if (!table) throw new Error(`${name} is not set`);
    const items = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) items.add(stableJson(item));
      start = page.LastEvaluatedKey;
    } while (start);
    result[name] = items;
  }
  return result;
}

describe('Hostile input over serverless-offline: every answer a 4xx, nothing written', () => {
  let before: Snapshot;
  const cases = allCases();

  beforeAll(async () => {
    const keys = inject('serviceKeys');
    const jwk = JSON.parse(keys.AUTH_SIGNING_KEY_PAYMENT ?? '') as JWK & { kid: string };
    const privateKey = (await importJWK(jwk, 'ES256')) as CryptoKey;
    paymentToken = (aud) =>
      signToken(
        { kid: jwk.kid, alg: 'ES256', privateKey, publicJwk: { ...jwk, alg: 'ES256' } },
        { aud },
      );
    before = await snapshot();
  });

  it.each(cases.map((c, i) => [`${c.method} ${c.path.slice(0, 60)} with ${c.name}`, i] as const))(
    '%s',
    async (_title, index) => {
      const c = cases[index] as Case & { auth?: string };
      const headers: Record<string, string> = { 'x-correlation-id': `${RUN}-corr`, ...c.headers };
      if (c.auth) headers.authorization = `Bearer ${await paymentToken(c.auth)}`;
      const response = await api(c.method, c.path, { rawBody: c.rawBody, headers });
      const where = `${c.method} ${c.path} (${c.name}) answered ${response.status}: ${response.text.slice(0, 300)}`;

      expect(response.text, where).not.toMatch(STACK);
      expect(response.status, where).toBeGreaterThanOrEqual(400);
      expect(response.status, where).toBeLessThan(500);
      if (c.status) expect(response.status, where).toBe(c.status);
      if (c.judge !== 'gateway') {
        const error = expectErrorFormat(response.body);
        if (c.code) expect(error.code, where).toBe(c.code);
        if (c.field) {
          expect(
            error.details.map((d) => (d as { field?: string }).field),
            where,
          ).toContain(c.field);
        }
        if (c.body) expect(response.body, where).toEqual(c.body);
        // A verified service's correlation id is taken; anyone else's is only
        // recorded beside the request's own (docs/security.md).
        const verified = Boolean(c.auth) && !c.headers?.['sls-offline-authorizer-override'];
        const correlationId = response.headers.get('x-correlation-id');
        if (verified) expect(correlationId, where).toBe(`${RUN}-corr`);
        else {
          expect(correlationId, where).toMatch(UUID);
          expect(response.headers.get('x-client-correlation-id'), where).toBe(`${RUN}-corr`);
        }
        if (c.quiet) {
          const lines = await waitForLogs(
            (r) => r.correlation_id === correlationId,
            (rs) => rs.some((r) => r.action === 'http.request'),
          );
          expect(
            lines.filter((r) => r.level === 'ERROR'),
            where,
          ).toEqual([]);
          expect(lines.find((r) => r.action === 'http.request')?.level, where).toBe('WARN');
        }
      }
    },
  );

  afterAll(async () => {
    // In afterAll: it runs after every case, even failed ones. A change here is
    // listed item by item; items carrying RUN were written because of this file.
    // (Run this file alone when other e2e files write to the same tables.)
    const after = await snapshot();
    for (const name of TABLE_ENV_VARS) {
      const was = before[name] ?? new Set<string>();
      const now = after[name] ?? new Set<string>();
      const added = [...now].filter((item) => !was.has(item));
      const removed = [...was].filter((item) => !now.has(item));
      expect(
        added.filter((item) => item.includes(RUN)),
        `${name}: written by hostile requests`,
      ).toEqual([]);
      expect({ added, removed }, `${name} changed during the hostile run`).toEqual({
        added: [],
        removed: [],
      });
      expect(now.size, `${name} item count`).toBe(was.size);
    }
  });
});
