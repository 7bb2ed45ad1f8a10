import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoCounter, tablesOf } from '../../scripts/lib/measure/dynamo-counter.mjs';

describe('Function: tablesOf', () => {
  it('names the table of a single-item request', () => {
    expect(tablesOf('PutItem', { TableName: 'charges' })).toEqual(['charges']);
  });

  it('names every table of a transaction once', () => {
    const body = {
      TransactItems: [
        { Put: { TableName: 'payments' } },
        { Update: { TableName: 'payments' } },
        { ConditionCheck: { TableName: 'charges' } },
      ],
    };
    expect(tablesOf('TransactWriteItems', body)).toEqual(['payments', 'charges']);
  });

  it('names the tables of a batch, and none for an unreadable body', () => {
    expect(tablesOf('BatchWriteItem', { RequestItems: { a: [], b: [] } })).toEqual(['a', 'b']);
    expect(tablesOf('PutItem', undefined)).toEqual([]);
  });
});

describe('Function: startDynamoCounter', () => {
  let upstream: http.Server;
  let upstreamUrl = '';
  const seen: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push(`${req.headers['x-amz-target']} ${body}`);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const address = upstream.address();
    upstreamUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const call = (endpoint: string, operation: string, body: unknown) =>
    fetch(endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'content-type': 'application/x-amz-json-1.0',
      },
      body: JSON.stringify(body),
    });

  it('forwards each request unchanged and counts it by operation and table', async () => {
    const counter = await startDynamoCounter(upstreamUrl);
    try {
      const answer = await call(counter.endpoint, 'GetItem', { TableName: 't1' });
      expect(await answer.json()).toEqual({ ok: true });
      await call(counter.endpoint, 'PutItem', { TableName: 't1' });
      await call(counter.endpoint, 'TransactWriteItems', {
        TransactItems: [{ Put: { TableName: 't1' } }, { Put: { TableName: 't2' } }],
      });
      expect(seen.at(-1)).toContain('TransactWriteItems');
      expect(counter.counts()).toEqual({
        total: 3,
        byOperation: { GetItem: 1, PutItem: 1, TransactWriteItems: 1 },
        byTable: { t1: 3, t2: 1 },
        requests: [
          { operation: 'GetItem', tables: ['t1'] },
          { operation: 'PutItem', tables: ['t1'] },
          { operation: 'TransactWriteItems', tables: ['t1', 't2'] },
        ],
      });
      counter.reset();
      await call(counter.endpoint, 'Query', { TableName: 't2' });
      expect(counter.counts()).toEqual({
        total: 1,
        byOperation: { Query: 1 },
        byTable: { t2: 1 },
        requests: [{ operation: 'Query', tables: ['t2'] }],
      });
    } finally {
      await counter.close();
    }
  });
});
