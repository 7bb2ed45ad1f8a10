import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTimeoutAgent, httpRequest } from '../../lib/http/transport.js';

const run = promisify(execFile);
const transportPath = fileURLToPath(new URL('../../lib/http/transport.ts', import.meta.url));

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

  it('answers any status the server sends, 600 included (fetch would refuse to build that Response)', async () => {
    reply = (res) => {
      res.writeHead(600, { 'x-many': ['a', 'b'] });
      res.end('odd');
    };
    const answer = await httpRequest(`${baseUrl}/odd`);
    expect(answer.status).toBe(600);
    expect(answer.ok).toBe(false);
    expect(answer.headers.get('X-Many')).toBe('a, b');
    expect(answer.headers.get('x-missing')).toBeNull();
    expect(await answer.text()).toBe('odd');
  });

  it('never loads the fetch implementation inside Node (undici): ~55 ms of CPU at the first call of a container', async () => {
    // A fresh process (this one has loaded it already), with the transport bundled as a function is.
    const script = [
      // The probe's own server by require: an ESM import of node:http would load undici itself (Node >= 22).
      "import { createRequire } from 'node:module';",
      "const http = createRequire(import.meta.url)('node:http');",
      `import { httpRequest } from ${JSON.stringify(transportPath)};`,
      "const server = http.createServer((req, res) => { res.setHeader('retry-after', '1'); res.end('{\"a\":1}'); });",
      "await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));",
      "const url = 'http://127.0.0.1:' + server.address().port + '/';",
      "const answer = await httpRequest(url, { method: 'POST', body: '{}' });",
      "const seen = { status: answer.status, retryAfter: answer.headers.get('retry-after'), body: await answer.json() };",
      'server.close();',
      "const undici = process.moduleLoadList.filter((m) => m.includes('undici'));",
      'console.log(JSON.stringify({ seen, undici }));',
    ].join('\n');
    const bundled = await build({
      stdin: { contents: script, resolveDir: path.dirname(transportPath), loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      write: false,
      logLevel: 'silent',
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'transport-'));
    try {
      const file = path.join(dir, 'probe.mjs');
      writeFileSync(file, bundled.outputFiles[0]?.text ?? '');
      const { stdout } = await run(process.execPath, [file]);
      expect(JSON.parse(stdout)).toEqual({
        seen: { status: 200, retryAfter: '1', body: { a: 1 } },
        undici: [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
