import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * A local HTTP server, started before the file's tests and stopped after
 * them, that answers `{}` and keeps the headers of every request it got.
 */
export function headerRecorder(): { received: http.IncomingHttpHeaders[]; url: string } {
  const state = { received: [] as http.IncomingHttpHeaders[], url: '' };
  let server: http.Server;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      state.received.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}
