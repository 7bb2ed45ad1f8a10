import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTimeoutAgent, httpRequest } from '../../lib/http/transport.js';

let server: Server;
let baseUrl = '';
const remotePorts: number[] = [];
let reply: (res: ServerResponse) => void = (res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    remotePorts.push(req.socket.remotePort ?? 0);
    req.resume();
    reply(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('Function: httpRequest', () => {
  it('answers with the status, headers and body, as fetch would', async () => {
    reply = (res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end('{"error":{"code":"BUSY"}}');
    };
    const response = await httpRequest(`${baseUrl}/x`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({ error: { code: 'BUSY' } });
  });

  it('rejects an answer a fetch Response cannot hold (status 600) instead of throwing from a socket event', async () => {
    reply = (res) => {
      res.writeHead(600);
      res.end('odd');
    };
    // A throw in the response's 'end' listener would be an uncaught exception: the end of a Lambda's process.
    await expect(httpRequest(`${baseUrl}/odd`)).rejects.toThrow(RangeError);
  });

  it('reuses a kept-alive connection for the next request', async () => {
    reply = (res) => res.end('ok');
    remotePorts.length = 0;
    await (await httpRequest(`${baseUrl}/a`)).text();
    await (await httpRequest(`${baseUrl}/b`)).text();
    expect(remotePorts).toHaveLength(2);
    expect(remotePorts[1]).toBe(remotePorts[0]);
  });

  it('gives up a connection that does not open within the connect timeout, well before the total timeout', async () => {
    // A socket that never connects (swallows the request, never answers), as a black-holed address would.
    const blackHole = () => new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const agent = connectTimeoutAgent('http:', 100, blackHole);
    const started = Date.now();
    const error = await httpRequest(`${baseUrl}/never`, {
      agent,
      signal: AbortSignal.timeout(5000),
    }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('CONNECT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends an exchange that connected but never answers at the total timeout (the signal)', async () => {
    reply = () => undefined;
    const signal = AbortSignal.timeout(150);
    const error = await httpRequest(`${baseUrl}/hang`, { signal, connectTimeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(signal.aborted).toBe(true);
    expect((error as Error).name).toBe('AbortError');
  });
});
